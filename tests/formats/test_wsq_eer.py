"""Issue 5, "Done when": the engine's EER on the WSQ copies of FVC2000 DB1_B stays within
0.5 percentage points of its EER on the TIFF originals, and their PSNR is well above 30 dB.

The shared WSQ copies (pgafis, NBIS cwsq) hold the TIFF pixels displaced by 15 positions in
raster order (their converter misread the TIFF header; see granica/biometrics/formats/NOTES.md).
With the engine fusing its own and MINDTCT's minutiae (TIFF EER 3.20%), measured: as stored
5.35% (+2.15 pp, PSNR ~20.6 dB; with the wrapped 15-pixel strip blanked still 4.98%: the
displacement crops the right edge of every print); displacement undone 3.61% (+0.40 pp, PSNR
~45.2 dB); Granica's own WSQ round trip at 0.75 bpp 3.20% (+0.00 pp, PSNR ~39.3 dB). The own
round trip, the corrected copies and the copies NIST NBIS `cwsq` made at the FBI's 0.75 bpp from
the same pixels (issue 12) are asserted within the bound; of the pgafis copies as stored, the test
asserts that they miss it. Figures: `.venv/bin/python bench/nist_wsq_eer.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from granica.biometrics.evaluation import Sample, error_rates, list_samples, protocol_pairs
from tests.conftest import shared_path

BOUND = 0.005  # 0.5 percentage points, as a fraction
OFFSET = 15  # raster displacement of the pgafis copies


def _eer(samples: list[Sample], sources: Sequence[object]) -> float:
    """EER over all genuine and all impostor pairs, as `granica afis eval` reports it."""
    from granica.biometrics.compare import compare, prepare
    from granica.biometrics.extract import extract

    probes = [prepare(extract(src, ppi=500)) for src in sources]  # type: ignore[arg-type]
    genuine, impostor, _ = protocol_pairs(samples)
    g = np.array([compare(probes[i], probes[j]).score for i, j in genuine])
    im = np.array([compare(probes[i], probes[j]).score for i, j in impostor])
    assert (g.size, im.size) == (280, 2880)
    return error_rates(g, im)["eer"]


@pytest.fixture(scope="module")
def sets() -> tuple[list[Sample], list[Sample]]:
    tif = list_samples(shared_path("fingerprints", "fvc2000_db1_b"), "tif")
    wsq = list_samples(shared_path("formats", "wsq", "pgafis_fvc2000_db1_b"), "wsq")
    assert [(s.finger, s.impression) for s in tif] == [(s.finger, s.impression) for s in wsq]
    assert len(tif) == 80
    return tif, wsq


@pytest.fixture(scope="module")
def decoded(sets: tuple[list[Sample], list[Sample]]) -> list[np.ndarray]:
    from granica.biometrics.formats import read_image

    return [read_image(s.path)[0] for s in sets[1]]


@pytest.fixture(scope="module")
def eer_tiff(sets: tuple[list[Sample], list[Sample]]) -> float:
    tif = sets[0]
    return _eer(tif, [s.path for s in tif])


@pytest.fixture(scope="module")
def eer_wsq_as_stored(sets: tuple[list[Sample], list[Sample]]) -> float:
    # The engine reads the .wsq files itself, as `granica afis eval --ext wsq` does.
    wsq = sets[1]
    return _eer(wsq, [s.path for s in wsq])


def test_wsq_copies_psnr(sets: tuple[list[Sample], list[Sample]], decoded: list[np.ndarray]) -> None:
    from granica.biometrics.formats import psnr, raster_offset_psnr, read_image

    as_is, aligned = [], []
    for s, d in zip(sets[0], decoded):
        original = read_image(s.path)[0]
        as_is.append(psnr(d, original))
        best, offset = raster_offset_psnr(d, original)
        assert offset == OFFSET, s.path.name
        aligned.append(best)
    assert min(aligned) > 40.0, min(aligned)  # "well above 30 dB" once aligned
    # The defect of the shared copies, as stored (measured: mean 20.6 dB, worst 17.5, best 27.2).
    assert float(np.mean(as_is)) < 25.0 and max(as_is) < 30.0, as_is


@pytest.mark.acceptance
def test_eer_on_own_wsq_round_trip_within_half_point(
    sets: tuple[list[Sample], list[Sample]], eer_tiff: float
) -> None:
    from granica.biometrics.formats import decode_wsq, encode_wsq, read_image

    tif = sets[0]
    round_trip = [decode_wsq(encode_wsq(read_image(s.path)[0], ppi=500))[0] for s in tif]
    eer_wsq = _eer(tif, round_trip)
    assert abs(eer_wsq - eer_tiff) <= BOUND, (eer_wsq, eer_tiff)


@pytest.mark.acceptance
def test_eer_on_shift_corrected_wsq_within_half_point(
    sets: tuple[list[Sample], list[Sample]], decoded: list[np.ndarray], eer_tiff: float
) -> None:
    corrected = [np.roll(d.ravel(), -OFFSET).reshape(d.shape) for d in decoded]
    eer_wsq = _eer(sets[1], corrected)
    assert abs(eer_wsq - eer_tiff) <= BOUND, (eer_wsq, eer_tiff)


@pytest.mark.acceptance
def test_eer_on_nbis_cwsq_copies_within_half_point(eer_tiff: float) -> None:
    """The FBI's 0.75 bit/pixel WSQ made by NIST NBIS `cwsq` from the same pixels, read by
    the engine from the .wsq files as `granica afis eval --ext wsq` does."""
    nbis = list_samples(shared_path("formats", "wsq", "nbis_cwsq_fvc2000_db1_b"), "wsq")
    assert len(nbis) == 80
    eer_wsq = _eer(nbis, [s.path for s in nbis])
    assert abs(eer_wsq - eer_tiff) <= BOUND, (eer_wsq, eer_tiff)


def test_eer_on_pgafis_copies_as_stored_shows_their_displacement(
    eer_tiff: float, eer_wsq_as_stored: float
) -> None:
    """The pgafis copies as stored are a defective encoder's output (see the module's text):
    the displacement costs the EER more than the bound, which this keeps in view."""
    assert eer_wsq_as_stored - eer_tiff > BOUND, (eer_wsq_as_stored, eer_tiff)
