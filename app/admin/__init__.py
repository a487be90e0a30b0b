"""Administration pages: the settings administrators change on the web (app/settings)."""
