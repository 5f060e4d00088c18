"""The national alert register (N.SIS): alert categories as data, alerts and their lifecycle, search."""
