"""persons screen of the desktop client."""
