"""The feature-extraction pipeline from an image to a `Template`, with its intermediate
maps kept for quality scoring and for display."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from granica.biometrics import features as F
from granica.biometrics.image import FingerprintImage, ImageQualityError, to_pixels
from granica.biometrics.minutiae import MinutiaeParams, detect
from granica.biometrics.template import Template


@dataclass(frozen=True)
class ExtractionParams:
    segmentation: F.SegmentationParams = field(default_factory=F.SegmentationParams)
    orientation: F.OrientationParams = field(default_factory=F.OrientationParams)
    frequency: F.FrequencyParams = field(default_factory=F.FrequencyParams)
    enhancement: F.EnhancementParams = field(default_factory=F.EnhancementParams)
    minutiae: MinutiaeParams = field(default_factory=MinutiaeParams)


@dataclass(frozen=True)
class Features:
    """Everything the pipeline computed for one image (all at 500 ppi)."""

    image: FingerprintImage
    mask: np.ndarray
    orientation: np.ndarray
    coherence: np.ndarray
    period: np.ndarray
    enhanced: np.ndarray
    skeleton: np.ndarray
    minutiae: np.ndarray  # image angles


def extract_features(image: FingerprintImage, params: ExtractionParams = ExtractionParams()) -> Features:
    """Run segmentation, orientation, frequency, enhancement and minutiae detection."""
    from skimage.morphology import skeletonize

    pix = image.pixels
    norm = F.normalize(pix)
    mask = F.segment_gmfs(pix, params.segmentation)
    if mask.sum() < 64 * 64:
        raise ImageQualityError(
            "no ridge structure found: the foreground is smaller than 64 x 64 pixels; "
            "recapture the finger with more contact",
            field="image",
        )
    orientation, coherence = F.orientation_gbfoe(norm, params.orientation)
    period = F.frequency_xsig(norm, orientation, mask, params.frequency)
    enhance = F.enhance_gabor_blocks if params.enhancement.method == "blocks" else F.enhance_gabor
    enhanced = enhance(norm, orientation, period, mask, params.enhancement)
    ridges = (enhanced < 0) & mask
    skeleton = skeletonize(ridges)
    border = ndi.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    minutiae = detect(skeleton, orientation, coherence, border, params.minutiae)
    return Features(image, mask, orientation, coherence, period, enhanced, skeleton, minutiae)


def template_from_features(feat: Features, finger_position: int = 0) -> Template:
    m = feat.minutiae.copy()
    if len(m):
        # The detector points a ridge ending away from its ridge and a bifurcation along its
        # trunk; INCITS 378 / ISO 19794-2 (and ANSI/NIST-ITL EFS) point an ending up its
        # ridge and a bifurcation down the valley between its branches: a half turn for
        # both. Image angles also run clockwise on screen; templates count
        # counter-clockwise.
        m[:, 2] = np.mod(-(m[:, 2] + math.pi), 2 * math.pi)
    q = int(round(float(np.mean(m[:, 4])))) if len(m) else 0
    return Template(
        width=feat.image.width, height=feat.image.height, minutiae=m,
        ppi=feat.image.ppi, finger_position=finger_position, quality=q,
    )


def extract(
    source: str | Path | bytes | np.ndarray | FingerprintImage,
    ppi: int | None = None,
    finger_position: int = 0,
    params: ExtractionParams = ExtractionParams(),
) -> Template:
    """Image (file path, bytes, pixel array) to template, the common case in one call."""
    image = source if isinstance(source, FingerprintImage) else to_pixels(source, ppi)
    return template_from_features(extract_features(image, params), finger_position)
