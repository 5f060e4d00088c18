"""Issue 3's figures on ../shared/data/names/pairs.jsonl (low-quality aliases left
out): bounds slightly below what the matcher reaches, so a regression fails CI.
Measured when written: AUC 0.757, TMR 0.626 at 5% FMR, 0.552 at 1% FMR,
precision 0.990 at the default threshold (LogicV2: AUC 0.517, TMR 0.310)."""

from __future__ import annotations

import pytest

from granica.names.evaluate import run_eval
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def figures() -> dict:
    return run_eval(shared_path("names", "pairs.jsonl"), progress=None)


@pytest.mark.acceptance
@pytest.mark.slow
def test_auc_and_true_match_rates(figures: dict) -> None:
    assert figures["pairs"] == 2775
    assert figures["left_out_low_quality_aliases"] == 594
    assert figures["auc"] >= 0.745
    assert figures["tmr_at_fmr_5pct"] >= 0.61
    assert figures["tmr_at_fmr_1pct"] >= 0.53
    assert figures["precision"] >= 0.97


@pytest.mark.acceptance
@pytest.mark.slow
def test_well_above_the_baseline_in_the_same_run(figures: dict) -> None:
    base = figures["baseline"]
    assert figures["auc"] >= base["auc"] + 0.2
    assert figures["tmr_at_fmr_5pct"] >= base["tmr_at_fmr_5pct"] + 0.2


@pytest.mark.acceptance
@pytest.mark.slow
def test_well_above_nomenklatura_logic_v2() -> None:
    pytest.importorskip("nomenklatura")
    result = run_eval(shared_path("names", "pairs.jsonl"), reference="nomenklatura", progress=None)
    ref = result["reference"]
    assert result["auc"] >= ref["auc"] + 0.2
    assert result["tmr_at_fmr_5pct"] >= ref["tmr_at_fmr_5pct"] + 0.2
