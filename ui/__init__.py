"""Tayanch desktop client (PySide6)."""
