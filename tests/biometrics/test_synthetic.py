"""Synthetic fingerprints for training mode (issue 12): deterministic, of every pattern class,
through the enrolment gate as asked ("good" passes, "poor" must be retaken), and seen by
Granica's own engine as real fingers are: impressions of one synthetic finger hit at the
asylum candidate threshold, impressions of different ones do not. No shared data."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from granica.biometrics import synthetic as S
from granica.biometrics.capture import Capture, read_capture
from granica.biometrics.quality import ENROLMENT_THRESHOLD

GATE_FINGERS = 20  # x 2 good impressions and 1 poor one
MATCH_FINGERS = 12  # x 3 good impressions
FIRST_SEED = 1


def _passes_gate(cap: Capture) -> bool:
    from granica.asylum.service import MIN_MINUTIAE

    return (cap.template is not None and cap.quality.score >= ENROLMENT_THRESHOLD
            and len(cap.template) >= MIN_MINUTIAE)


@pytest.fixture(scope="module")
def masters() -> list[S.MasterFinger]:
    return [S.master_finger(FIRST_SEED + i) for i in range(GATE_FINGERS)]


@pytest.fixture(scope="module")
def good_captures(masters: list[S.MasterFinger]) -> dict[tuple[int, int], Capture]:
    """Captures of the good impressions: 2 of every finger, a third of the matched ones."""
    out = {}
    for f, master in enumerate(masters):
        for k in range(3 if f < MATCH_FINGERS else 2):
            out[f, k] = read_capture(S.impression(master, k), finger_position=1)
    return out


def test_same_arguments_give_the_same_pixels(masters: list[S.MasterFinger]) -> None:
    a, b = masters[0], S.master_finger(FIRST_SEED)
    assert a == b and a.pattern == b.pattern
    assert np.array_equal(a.ridges, b.ridges) and np.array_equal(a.mask, b.mask)
    first = S.impression(a, 3)
    assert np.array_equal(first, S.impression(b, 3))
    assert np.array_equal(S.impression(a, 3, quality="poor"), S.impression(b, 3, quality="poor"))
    assert not np.array_equal(first, S.impression(a, 4))
    assert not np.array_equal(masters[1].ridges, a.ridges)


@pytest.mark.parametrize("pattern", S.PATTERNS)
def test_every_pattern_makes_a_print(pattern: str) -> None:
    master = S.master_finger(7, pattern=pattern)
    assert master.pattern == pattern
    n_cores = {"arch": 0, "tented_arch": 1, "left_loop": 1, "right_loop": 1, "whorl": 2}
    assert len(master.cores) == n_cores[pattern]
    image = S.impression(master, 0)
    assert image.dtype == np.uint8 and image.ndim == 2
    assert 350 <= image.shape[0] <= 450 and 350 <= image.shape[1] <= 450
    # Dark ridges on a light background: the frame is light, the contact holds dark pixels.
    assert np.median(np.concatenate([image[:8].ravel(), image[-8:].ravel()])) > 180
    assert (image < 100).mean() > 0.1


def test_unknown_pattern_or_quality_is_refused() -> None:
    with pytest.raises(ValueError):
        S.master_finger(1, pattern="double_loop")
    with pytest.raises(ValueError):
        S.impression(S.master_finger(1, pattern="arch"), 0, quality="fair")


def test_png_holds_the_pixels_at_500_ppi() -> None:
    from PIL import Image

    image = S.impression(S.master_finger(5, pattern="whorl"), 1)
    data = S.to_png(image)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG" and im.mode == "L"
        assert round(im.info["dpi"][0]) == 500
        assert np.array_equal(np.asarray(im), image)
    # What an enrolment upload of it reads.
    assert read_capture(data, finger_position=1).template is not None


def test_good_impressions_pass_the_enrolment_gate(
    good_captures: dict[tuple[int, int], Capture],
) -> None:
    two_each = [c for (f, k), c in good_captures.items() if k < 2]
    passed = sum(_passes_gate(c) for c in two_each)
    assert passed >= 0.95 * len(two_each), [c.quality for c in two_each if not _passes_gate(c)]


def test_poor_impressions_must_be_retaken(masters: list[S.MasterFinger]) -> None:
    # One poor impression of every finger, failing in the way its seed draws, and one of
    # each way on purpose.
    images = [S.impression(m, 10, quality="poor") for m in masters]
    images += [S._impression(masters[0], 11, False, kind) for kind in S.POOR_KINDS]
    caps = [read_capture(image, finger_position=1) for image in images]
    failed = [c for c in caps if not _passes_gate(c)]
    assert len(failed) >= 0.95 * len(caps), [c.quality for c in caps if _passes_gate(c)]
    # The retake list names a reason for each.
    assert all(c.quality.explain() for c in failed)


def test_engine_hits_mated_and_not_non_mated_pairs(
    good_captures: dict[tuple[int, int], Capture],
) -> None:
    from granica.biometrics.compare import compare, prepare, threshold_for
    from granica.settings import get_settings

    threshold = threshold_for(get_settings().asylum_candidate_fmr)
    probes: list[tuple[int, Any]] = [
        (f, prepare(c.template)) for (f, k), c in sorted(good_captures.items())
        if f < MATCH_FINGERS and c.template is not None
    ]
    mated, non_mated = [], []
    for i, (fa, pa) in enumerate(probes):
        for fb, pb in probes[i + 1:]:
            (mated if fa == fb else non_mated).append(compare(pa, pb).score)
    mated_hit = float(np.mean(np.asarray(mated) >= threshold))
    non_mated_hit = float(np.mean(np.asarray(non_mated) >= threshold))
    print(f"mated {len(mated)} pairs, {mated_hit:.1%} at or above {threshold}; "
          f"non-mated {len(non_mated)} pairs, {non_mated_hit:.2%}")
    assert len(mated) >= 0.9 * MATCH_FINGERS * 3
    assert mated_hit >= 0.90
    assert non_mated_hit <= 0.01
