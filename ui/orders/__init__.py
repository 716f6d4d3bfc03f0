"""orders screen of the desktop client."""
