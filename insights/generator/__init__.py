"""Deterministic data generator for the bundled example workspace (examples/retail).

    from insights.generator import generate
    report = generate("small", 42, "examples/retail/data")
"""

from insights.generator.generate import GenerationReport, generate
from insights.generator.scales import AS_OF, SCALES, Scale

__all__ = ["AS_OF", "SCALES", "GenerationReport", "Scale", "generate"]
