"""Configuration data of the border domain (refusal-of-entry reasons and their wording), read as package data."""
