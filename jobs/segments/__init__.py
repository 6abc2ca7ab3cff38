"""Segments: rules over customers evaluated in one pass, membership kept with entries and exits."""

from jobs.segments.refresh import SegmentRun, refresh_segments

__all__ = ["SegmentRun", "refresh_segments"]
