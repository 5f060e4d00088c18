"""Leave-sets-out evaluation: the tuner finds the grid's minimum, a fold never tunes on the
sets it is measured on, and the scores behind it are those of the product's comparison."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from granica.biometrics.compare import compare, prepare
from granica.biometrics.evaluation import (
    FOLDS,
    FVC_SETS,
    CompareConfig,
    PreparedSet,
    SetScorer,
    error_rates,
    evaluate_leave_sets_out,
    leave_sets_out,
    tune,
)
from granica.biometrics.nbis import DEFAULT_LIB

GRID = {"relax_weight": (0.3, 0.5, 0.7), "fusion_weight": (0.3, 0.4, 0.5, 0.6), "min_np": (3, 4, 6)}


def _table() -> Any:
    """Synthetic score tables: 100 genuine and 1,000 impostor scores that separate fully at
    the `target` configuration and overlap more the farther a configuration is from it."""
    rng = np.random.default_rng(7)
    impostor = rng.uniform(0.0, 1.0, 1000)
    base = rng.uniform(0.0, 1.0, 100)

    def scores(cfg: CompareConfig, target: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        miss = sum(abs(cfg.value(k) - v) / (max(GRID[k]) - min(GRID[k])) for k, v in target.items())
        return 0.6 + 0.4 * base - 0.5 * miss, impostor * 0.6

    return scores


def test_tuner_finds_the_minimum_of_the_grid() -> None:
    target = {"relax_weight": 0.7, "fusion_weight": 0.4, "min_np": 6}
    table = _table()
    calls: list[str] = []

    def scorer(name: str, cfg: CompareConfig) -> tuple[np.ndarray, np.ndarray]:
        calls.append(name)
        return table(cfg, target)

    t = tune(["a", "b"], scorer, GRID)
    assert t.config.describe(GRID) == target
    assert isinstance(t.config.mcc.min_np, int)
    # The brute-force minimum over the whole grid is the same EER.
    every = [
        CompareConfig().with_value("relax_weight", r).with_value("fusion_weight", f).with_value("min_np", n)
        for r, f, n in itertools.product(*GRID.values())
    ]
    brute = min(error_rates(*scorer("a", c))["eer"] for c in every)
    assert t.mean_eer == pytest.approx(brute)
    assert set(calls) == {"a", "b"}
    assert t.evaluated < len(every)  # coordinate descent, not the full product


def test_a_fold_never_tunes_on_the_sets_it_is_measured_on() -> None:
    # The FVC2000 sets prefer relax_weight 0.3, the FVC2002 ones 0.7: leakage would show.
    prefers = {n: {"relax_weight": 0.3 if n.startswith("fvc2000") else 0.7} for n in FVC_SETS}
    table = _table()
    calls: list[str] = []

    def scorer(name: str, cfg: CompareConfig) -> tuple[np.ndarray, np.ndarray]:
        calls.append(name)
        return table(cfg, prefers[name])

    tunings, measured = leave_sets_out(scorer, FOLDS, {"relax_weight": GRID["relax_weight"]})
    for n, (cfg, _rates) in measured.items():
        assert cfg.value("relax_weight") == (0.7 if n.startswith("fvc2000") else 0.3), n
    assert [t.tuned_on for t in tunings] == [fold[0] for fold in FOLDS]
    # Calls in order: a fold's tuning sets only, then its held-out sets, then the next fold.
    first_tune, first_test = FOLDS[0]
    k = calls.index(first_test[0])
    assert set(calls[:k]) <= set(first_tune)


def test_a_fold_that_tests_on_a_tuning_set_is_refused() -> None:
    with pytest.raises(ValueError):
        leave_sets_out(lambda n, c: (np.ones(3), np.zeros(3)), [(("a", "b"), ("b",))], GRID)


def test_invalid_pair_count_ranges_are_not_tried() -> None:
    cfg = CompareConfig().with_value("min_np", 6).with_value("max_np", 4)
    assert not cfg.valid
    assert CompareConfig().valid


def test_set_scorer_gives_the_product_scores_and_reuses_comparisons(fvc_templates: dict[str, Any]) -> None:
    keys = sorted(fvc_templates)
    probes = [prepare(fvc_templates[k]) for k in keys]
    fingers = [int(k.split("_")[0]) for k in keys]
    pairs = list(itertools.combinations(range(len(keys)), 2))
    genuine = [p for p in pairs if fingers[p[0]] == fingers[p[1]]]
    impostor = [p for p in pairs if fingers[p[0]] != fingers[p[1]]]
    ps = PreparedSet("s", 500, probes, genuine, impostor, {}, {}, 0)
    scorer = SetScorer({"s": ps})
    g, i = scorer("s", CompareConfig())
    for (a, b), s in zip(genuine[:5] + impostor[:5], list(g[:5]) + list(i[:5])):
        assert s == pytest.approx(compare(probes[a], probes[b]).score, abs=1e-9)
    done = scorer.comparisons
    g2, _ = scorer("s", CompareConfig(fusion_weight=0.7))
    assert scorer.comparisons == done  # a new fusion weight costs no comparison
    a, b = genuine[0]
    assert g2[0] == pytest.approx(compare(probes[a], probes[b], fusion_weight=0.7).score, abs=1e-9)
    assert g.mean() > i.mean()


def _small_root(tmp_path: Path, fvc_dir: Path) -> Path:
    for name, fingers in (("one", (101, 102, 103)), ("two", (104, 105, 106))):
        (tmp_path / name).mkdir()
        for f in fingers:
            for imp in (1, 2, 3):
                os.symlink(fvc_dir / f"{f}_{imp}.tif", tmp_path / name / f"{f}_{imp}.tif")
    return tmp_path


@pytest.mark.acceptance
def test_leave_sets_out_report_on_real_images(tmp_path: Path, fvc_dir: Path) -> None:
    root = _small_root(tmp_path, fvc_dir)
    baseline = DEFAULT_LIB.exists() or bool(os.environ.get("AFIS_LFS_LIB"))
    out = evaluate_leave_sets_out(
        root, {"one": 500, "two": 500}, [(("one",), ("two",)), (("two",), ("one",))],
        {"fusion_weight": (0.4, 0.5)}, baseline=baseline,
    )
    per_set = out["per_set"]
    assert isinstance(per_set, dict) and set(per_set) == {"one", "two"}
    assert per_set["one"]["tuned_on"] == ["two"] and per_set["two"]["tuned_on"] == ["one"]
    for row in per_set.values():
        assert 0.0 <= row["lso_eer"] <= 1.0 and row["lso_fmr100"] <= row["lso_fmr1000"]
        assert row["extract_ms"] > 0
        if baseline:
            assert 0.0 <= row["nbis_eer"] <= 1.0
    assert list(out)[:3] == ["leave_sets_out", "per_set", "mean_lso_eer"]
    assert len(out["folds"]) == 2  # type: ignore[arg-type]


def test_cli_leave_sets_out_needs_a_data_root() -> None:
    from typer.testing import CliRunner

    from granica.cli import app
    from granica.errors import ValidationError

    result = CliRunner().invoke(app, ["afis", "eval", "--leave-sets-out", "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ValidationError)


def test_a_move_must_gain_more_than_min_gain() -> None:
    target = {"relax_weight": 0.7}
    table = _table()

    def scorer(name: str, cfg: CompareConfig) -> tuple[np.ndarray, np.ndarray]:
        return table(cfg, target)

    moved = tune(["a"], scorer, {"relax_weight": GRID["relax_weight"]})
    assert moved.config.value("relax_weight") == 0.7
    gain = error_rates(*scorer("a", CompareConfig()))["eer"] - moved.mean_eer
    assert gain > 0
    kept = tune(["a"], scorer, {"relax_weight": GRID["relax_weight"]}, min_gain=gain + 1e-9)
    assert kept.config == CompareConfig()


def test_quality_weighted_fusion_leans_on_the_better_set() -> None:
    from granica.biometrics.compare import fusion_share

    assert fusion_share(0.5, 0.9, 0.3, 0.0) == 0.5
    assert float(fusion_share(0.5, 0.9, 0.3, 1.0)) == pytest.approx(0.75)
    assert float(fusion_share(0.5, 0.3, 0.9, 2.0)) == pytest.approx(0.1)
    assert float(fusion_share(0.4, 0.0, 0.0, 1.0)) == pytest.approx(0.4)  # no quality: plain weight
    shares = fusion_share(0.5, np.array([0.9, 0.5]), np.array([0.3, 0.5]), 1.0)
    assert shares == pytest.approx([0.75, 0.5])
