"""households screen of the desktop client."""
