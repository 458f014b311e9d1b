"""The web app: agencies report through signed links, the secretariat verifies."""
