"""Stage timings of the extraction: filled when asked for, summing to the total, and
without effect on the template."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from granica.biometrics.extract import STAGES, ExtractionTimings, extract


def test_every_stage_is_timed_and_the_stages_add_up_to_the_total(fvc_dir: Path) -> None:
    extract(fvc_dir / "101_1.tif", ppi=500)  # numba compilation and library loads
    timings = ExtractionTimings()
    extract(fvc_dir / "101_2.tif", ppi=500, timings=timings)
    assert set(timings.stages) == set(STAGES)
    assert all(ms >= 0.0 for ms in timings.stages.values())
    # The stages that do real work on a 388 x 374 print take measurable time.
    for stage in ("image", "orientation", "enhancement", "secondary"):
        assert timings.stages[stage] > 0.05, (stage, timings.stages)
    # Only the glue between the marks is outside the stages.
    assert timings.total > 0
    assert 0.9 * timings.total <= timings.staged <= timings.total + 1e-6, timings


def test_timings_accumulate_over_extractions(fvc_dir: Path) -> None:
    timings = ExtractionTimings()
    extract(fvc_dir / "101_1.tif", ppi=500, timings=timings)
    first = dict(timings.stages)
    total = timings.total
    extract(fvc_dir / "101_3.tif", ppi=500, timings=timings)
    assert timings.total > total
    assert all(timings.stages[s] > first[s] for s in ("orientation", "enhancement"))


def test_timing_does_not_change_the_template(fvc_dir: Path) -> None:
    plain = extract(fvc_dir / "102_4.tif", ppi=500)
    timed = extract(fvc_dir / "102_4.tif", ppi=500, timings=ExtractionTimings())
    np.testing.assert_array_equal(plain.minutiae, timed.minutiae)
    np.testing.assert_array_equal(plain.secondary, timed.secondary)
