"""registers screen of the desktop client."""
