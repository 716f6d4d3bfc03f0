"""statistics screen of the desktop client."""
