"""Code lists of the cooperation domain (TOML, each list with its source)."""
