"""Fingerprint recognition: images, quality, minutiae, templates, 1:1 and 1:N comparison.

The common case::

    from granica.biometrics import extract, compare, Gallery
    a = extract("101_1.tif", ppi=500)
    b = extract("101_2.tif", ppi=500)
    result = compare(a, b)            # score, paired minutiae
    result.is_match(fmr=0.001)

A template carries two minutiae sets of the same image: Granica's own extractor
(segmentation, two-scale orientation, ridge period, Gabor enhancement, skeleton) and NIST
MINDTCT (through the NBIS library that `make` builds). Each set is compared with MCC and the
two scores are averaged; the paired minutiae shown to examiners come from the first set.

Heavy modules (numba kernels, scipy) load on first use.
"""

from __future__ import annotations

from typing import Any

from granica.biometrics.template import Template

__all__ = [
    "Gallery",
    "Template",
    "assess",
    "compare",
    "extract",
    "prepare",
    "threshold_for",
    "to_pixels",
]

_LAZY = {
    "extract": "granica.biometrics.extract",
    "to_pixels": "granica.biometrics.image",
    "assess": "granica.biometrics.quality",
    "prepare": "granica.biometrics.compare",
    "compare": "granica.biometrics.compare",
    "threshold_for": "granica.biometrics.compare",
    "Gallery": "granica.biometrics.gallery",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'granica.biometrics' has no attribute {name!r}")
