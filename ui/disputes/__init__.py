"""disputes screen of the desktop client."""
