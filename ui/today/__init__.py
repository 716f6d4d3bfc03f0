"""today screen of the desktop client."""
