"""Feature extraction and 1:1 comparison on real FVC prints."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from granica.biometrics.benchmark import perturb
from granica.biometrics.compare import calibrate, compare, prepare, threshold_for
from granica.biometrics.mcc import popcount
from granica.biometrics.template import Template


@numba.njit(cache=True)
def _pc(x: np.uint64) -> int:
    return popcount(x)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_popcount_intrinsic(v: int) -> None:
    assert _pc(np.uint64(v)) == bin(v).count("1")


def test_minutiae_are_inside_the_print(fvc_templates: dict) -> None:
    for t in fvc_templates.values():
        m = t.minutiae
        assert 5 <= len(m) <= 120
        assert (m[:, 0] >= 0).all() and (m[:, 0] < t.width).all()
        assert (m[:, 1] >= 0).all() and (m[:, 1] < t.height).all()
        assert set(np.unique(m[:, 3])) <= {1.0, 2.0}
        assert ((m[:, 4] >= 0) & (m[:, 4] <= 100)).all()


def test_same_finger_scores_above_different_fingers(fvc_templates: dict) -> None:
    probes = {k: prepare(v) for k, v in fvc_templates.items()}
    genuine = [compare(probes[f"{f}_1"], probes[f"{f}_{i}"]).score
               for f in (101, 102, 103, 104) for i in (2, 3)]
    impostor = [compare(probes[f"{a}_1"], probes[f"{b}_1"]).score
                for a in (101, 102, 103, 104) for b in (101, 102, 103, 104) if a < b]
    assert np.median(genuine) > 2 * max(impostor)


def test_comparison_returns_paired_minutiae(fvc_templates: dict) -> None:
    a, b = fvc_templates["101_1"], fvc_templates["101_2"]
    result = compare(a, b)
    assert result.score > threshold_for(0.001)
    assert result.is_match(0.001)
    assert len(result.pairs) >= 4
    ia = result.pairs[:, 0].astype(int)
    ib = result.pairs[:, 1].astype(int)
    assert len(set(ia)) == len(ia) and len(set(ib)) == len(ib)
    assert ia.max() < len(a) and ib.max() < len(b)
    # Paired minutiae agree on their relative geometry (same finger, small distortion):
    # distances between paired minutiae are preserved.
    pa, pb = a.minutiae[ia, :2], b.minutiae[ib, :2]
    da = np.hypot(*(pa[:, None] - pa[None]).transpose(2, 0, 1))
    db = np.hypot(*(pb[:, None] - pb[None]).transpose(2, 0, 1))
    assert np.median(np.abs(da - db)) < 15


def test_rotation_and_translation_invariance(fvc_templates: dict) -> None:
    rng = np.random.default_rng(3)
    t = fvc_templates["102_1"]
    moved = perturb(t, rng)
    assert compare(t, moved).score > threshold_for(0.0001)


def test_empty_template_scores_zero(fvc_templates: dict) -> None:
    empty = Template(width=300, height=300, minutiae=np.zeros((0, 5)))
    assert compare(empty, fvc_templates["101_1"]).score == 0.0


def test_calibrate_threshold() -> None:
    scores = np.linspace(0, 1, 1001)
    thr = calibrate(scores, 0.01)
    assert (scores >= thr).mean() <= 0.01
    assert (scores >= thr - 0.002).mean() > 0.01
    assert math.isfinite(thr)


def test_secondary_minutiae_share_the_primary_convention(fvc_templates: dict) -> None:
    """MINDTCT's minutiae land in the template in the same frame and angle convention as the
    primary extractor's: where both found a minutia (within 6 pixels) the directions agree."""
    diffs = []
    for t in fvc_templates.values():
        a, b = t.minutiae, t.secondary
        assert 5 <= len(b) <= 60
        assert (b[:, 0] < t.width).all() and (b[:, 1] < t.height).all()
        d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        near = d.min(axis=1) < 6
        j = d.argmin(axis=1)[near]
        diffs.extend(np.abs(np.mod(b[j, 2] - a[near, 2] + math.pi, 2 * math.pi) - math.pi))
    assert len(diffs) > 100
    assert float(np.median(diffs)) < math.radians(30)


def test_fused_and_primary_only_comparisons(fvc_templates: dict) -> None:
    from granica.biometrics.compare import on_fused_scale

    a, b = fvc_templates["103_1"], fvc_templates["103_3"]
    fused = compare(a, b)
    assert fused.fused and fused.is_match(0.001)
    # A template imported from an ISO record has no secondary set: the comparison falls back
    # to the primary minutiae, judged against the primary thresholds.
    bare = Template(width=b.width, height=b.height, minutiae=b.minutiae)
    single = compare(a, bare)
    assert not single.fused
    assert single.score == compare(Template(width=a.width, height=a.height,
                                            minutiae=a.minutiae), bare).score
    assert single.is_match(0.001) == (single.score >= threshold_for(0.001, fused=False))
    scaled = on_fused_scale(single, 0.001)
    assert (scaled >= threshold_for(0.001)) == (single.score >= threshold_for(0.001, fused=False))
    # The pairs shown to an examiner come from the primary sets either way.
    assert np.array_equal(fused.pairs[:, :2], single.pairs[:, :2])


def test_mindtct_failure_leaves_a_primary_only_template(fvc_dir, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """If MINDTCT rejects an image the print still enrols with the primary set alone (and a
    warning); a missing NBIS library is an installation fault and stays an error."""
    from granica.biometrics import extract as E
    from granica.biometrics.nbis import NbisExtractionError
    from granica.errors import BiometricError

    path = fvc_dir / "101_1.tif"

    def fails(_image):  # type: ignore[no-untyped-def]
        raise NbisExtractionError("NIST MINDTCT could not process this image (code -2)")

    monkeypatch.setattr(E, "secondary_minutiae", fails)
    with caplog.at_level("WARNING"):
        t = E.extract(path, ppi=500)
    assert len(t) > 10 and len(t.secondary) == 0
    assert "without secondary minutiae" in caplog.text

    def missing(_image):  # type: ignore[no-untyped-def]
        raise BiometricError("NBIS library not found at /nowhere: build it with `sh scripts/build_nbis.sh`")

    monkeypatch.setattr(E, "secondary_minutiae", missing)
    with pytest.raises(BiometricError, match="build_nbis"):
        E.extract(path, ppi=500)
