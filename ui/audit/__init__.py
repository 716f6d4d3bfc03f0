"""The Audit screen (inspectors only)."""
