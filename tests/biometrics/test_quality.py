"""Quality score as an enrolment gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from granica.biometrics.quality import assess
from granica.errors import InputFormatError


def test_good_print_passes_the_gate(fvc_dir: Path) -> None:
    report = assess(fvc_dir / "101_1.tif", ppi=500)
    assert report.acceptable, report
    assert 0 <= report.score <= 100


def test_blank_image_scores_zero_with_reason() -> None:
    report = assess(np.full((300, 300), 250, np.uint8))
    assert report.score == 0
    assert "no_ridge_structure" in report.reasons
    assert report.explain()


def test_small_crop_scores_lower_and_says_why(fvc_dir: Path) -> None:
    full = assess(fvc_dir / "101_1.tif", ppi=500)
    arr = np.asarray(Image.open(fvc_dir / "101_1.tif"))[130:250, 140:260]
    crop = assess(np.ascontiguousarray(arr))
    assert crop.score < full.score
    assert "too_small" in crop.reasons


def test_dark_image_says_too_dark(fvc_dir: Path) -> None:
    arr = np.asarray(Image.open(fvc_dir / "101_1.tif")).astype(np.float32)
    dark = (arr * 0.2).astype(np.uint8)
    report = assess(dark)
    assert "too_dark" in report.reasons


def test_not_an_image_is_an_error() -> None:
    with pytest.raises(InputFormatError):
        assess(b"GIF89a-no")
