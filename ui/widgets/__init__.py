"""Shared widgets: form dialogs, fields, empty states, pickers, small record tables."""
