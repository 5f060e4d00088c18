"""Fingerprint image quality: a 0-100 score in the spirit of NFIQ 2 (ISO/IEC 29794-4),
usable as an enrolment gate, with the reasons for a low score."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from granica.biometrics.image import FingerprintImage, ImageQualityError, to_pixels

if TYPE_CHECKING:
    from granica.biometrics.extract import Features

# Gate suggested for enrolment; captures below it should be retaken.
ENROLMENT_THRESHOLD = 40

REASONS = {
    "too_small": "the finger area is smaller than a fingertip: place the whole fingertip",
    "too_dark": "the image is too dark (wet finger or too much pressure)",
    "too_light": "the image is too light (dry finger or too little pressure)",
    "no_ridge_structure": "no clear ridge structure (smudge, blank or noisy capture)",
    "few_minutiae": "too few minutiae to compare reliably",
    "unusable": "the image cannot be used",
}


@dataclass(frozen=True)
class QualityReport:
    """Score 0 (unusable) to 100 (excellent), the reason codes of what lowered it, and the
    measures behind it."""

    score: int
    reasons: tuple[str, ...] = ()
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def acceptable(self) -> bool:
        return self.score >= ENROLMENT_THRESHOLD

    def explain(self) -> list[str]:
        return [REASONS[r] for r in self.reasons]


def _ramp(v: float, lo: float, hi: float) -> float:
    return float(np.clip((v - lo) / (hi - lo), 0.0, 1.0))


def assess(
    source: str | Path | bytes | np.ndarray | FingerprintImage, ppi: int | None = None,
    features: Features | None = None,
) -> QualityReport:
    """Quality of one fingerprint image. Unreadable files raise InputFormatError; images
    that decode but are blank or too small score 0 with the reason. `features` are the
    image's already extracted features (`extract_features`), to spare a second run."""
    from granica.biometrics.extract import extract_features

    try:
        image = source if isinstance(source, FingerprintImage) else to_pixels(source, ppi)
    except ImageQualityError as exc:
        msg = exc.message
        reason = "too_small" if "smaller" in msg else ("no_ridge_structure" if "no ridge" in msg else "unusable")
        return QualityReport(0, (reason,), {})
    if features is not None and features.image is image:
        feat = features
    else:
        try:
            feat = extract_features(image)
        except ImageQualityError:
            return QualityReport(0, ("no_ridge_structure",), {})
    mask = feat.mask
    px = image.pixels.astype(np.float32)
    area_mm2 = float(mask.sum()) * (25.4 / image.ppi) ** 2
    fg = px[mask]
    mean_grey = float(fg.mean())
    coherence = float(np.mean(feat.coherence[mask]))
    # Ridge-valley clarity: how bimodal the enhanced foreground is against the raw one.
    contrast = float(np.std(fg))
    n_min = len(feat.minutiae)
    measures = {
        "area_mm2": round(area_mm2, 1), "mean_grey": round(mean_grey, 1),
        "coherence": round(coherence, 3), "contrast": round(contrast, 1),
        "minutiae": float(n_min),
    }
    s_area = _ramp(area_mm2, 40.0, 120.0)
    s_dark = _ramp(mean_grey, 30.0, 70.0)
    s_light = 1.0 - _ramp(mean_grey, 200.0, 240.0)
    s_ridge = _ramp(coherence, 0.2, 0.55) * _ramp(contrast, 8.0, 30.0)
    s_min = _ramp(float(n_min), 6.0, 25.0)
    parts = {"too_small": s_area, "too_dark": s_dark, "too_light": s_light,
             "no_ridge_structure": s_ridge, "few_minutiae": s_min}
    score = 100.0 * (s_area * s_dark * s_light) ** 0.5 * (0.6 * s_ridge + 0.4 * s_min)
    reasons = tuple(k for k, v in parts.items() if v < 0.6)
    return QualityReport(round(np.clip(score, 0, 100)), reasons, measures)
