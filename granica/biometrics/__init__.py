"""Fingerprint recognition: images, quality, minutiae, templates, 1:1 and 1:N comparison."""
