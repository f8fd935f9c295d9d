"""The only package that imports SpiffWorkflow: parsing, running, serializing, sandboxing, lint."""

from engine.runtime import timers as _timers  # noqa: F401 - installs the clock hook on import
