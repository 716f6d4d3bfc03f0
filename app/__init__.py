"""Tayanch core: everything that is not a widget. Imports no PySide6."""

__version__ = "0.1.0"
