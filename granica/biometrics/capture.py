"""One captured print read for enrolment: the image decoded once, its features extracted
once, and from them both the quality report and the template. The caller's gate decides
what a low score means (retake, or record the finger as missing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from granica.biometrics.quality import QualityReport
from granica.biometrics.template import Template


@dataclass(frozen=True)
class Capture:
    quality: QualityReport
    template: Template | None  # None where the image holds no usable ridge structure


def read_capture(source: bytes | Path | str | np.ndarray, finger_position: int,
                 ppi: int | None = None) -> Capture:
    """Quality and template of one print image. Files that do not decode raise
    InputFormatError (naming what is wrong); images that decode but are blank, too small or
    without ridges come back with quality 0, its reasons, and no template."""
    from granica.biometrics.extract import extract, extract_features
    from granica.biometrics.image import ImageQualityError, to_pixels
    from granica.biometrics.quality import assess

    image = to_pixels(source, ppi)
    try:
        features = extract_features(image)
    except ImageQualityError:
        return Capture(assess(image), None)
    report = assess(image, features=features)
    template = extract(image, finger_position=finger_position, features=features)
    return Capture(report, template)
