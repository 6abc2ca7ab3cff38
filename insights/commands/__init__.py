"""Subcommands of `insights`, one module per capability."""
