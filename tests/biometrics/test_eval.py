"""The FVC evaluation as a product command, and the accuracy bound that guards regressions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from granica.biometrics.evaluation import error_rates, list_samples, protocol_pairs
from granica.biometrics.nbis import DEFAULT_LIB

KEYS = {"eer", "fmr100", "fmr1000", "zero_fmr", "genuine", "impostor", "extract_ms", "compare_ms"}

# Measured on fvc2002_db1_b: EER 0.0178 with the fused minutiae sets (own extractor alone
# 0.0248, NBIS MINDTCT + BOZORTH3 0.0428; the fused variants tried on 27 November 2026 gave
# 0.0178-0.0248). The bound sits above that spread and below NBIS, so a regression of either
# extractor, of the fusion or of the matcher fails here.
EER_BOUND = 0.03


@pytest.mark.acceptance
def test_fvc_protocol_eer_stays_under_bound(fvc_dir: Path, fvc_all: dict) -> None:
    import numpy as np

    from granica.biometrics.compare import compare, prepare

    samples = list_samples(fvc_dir)
    probes = [prepare(fvc_all[f"{s.finger}_{s.impression}"]) for s in samples]
    g, i, f = protocol_pairs(samples)
    gs = np.array([compare(probes[a], probes[b]).score for a, b in g])
    im = np.array([compare(probes[a], probes[b]).score for a, b in i])
    r = error_rates(gs, im)
    assert (len(gs), len(im), len(f)) == (280, 2880, 45)
    assert r["eer"] <= EER_BOUND, r
    assert r["fmr100"] <= 0.08, r
    assert r["fmr100"] <= r["fmr1000"] <= r["zero_fmr"] <= 1.0


def test_protocol_pair_counts(fvc_dir: Path) -> None:
    g, i, f = protocol_pairs(list_samples(fvc_dir))
    assert (len(g), len(i), len(f)) == (280, 2880, 45)


def test_error_rates_on_known_scores() -> None:
    r = error_rates([0.9, 0.8, 0.7, 0.2], [0.1, 0.3, 0.05, 0.75])
    assert r["eer"] == pytest.approx(0.25)
    assert r["zero_fmr"] == pytest.approx(0.5)  # only 0.9 and 0.8 clear the top impostor
    perfect = error_rates([0.9, 0.8], [0.1, 0.2])
    assert perfect["eer"] == 0.0 and perfect["zero_fmr"] == 0.0


def _small_set(tmp_path: Path, fvc_dir: Path) -> Path:
    folder = tmp_path / "small"
    folder.mkdir()
    for finger in (101, 102, 103):
        for imp in (1, 2, 3):
            os.symlink(fvc_dir / f"{finger}_{imp}.tif", folder / f"{finger}_{imp}.tif")
    return folder


@pytest.mark.acceptance
def test_cli_eval_json(tmp_path: Path, fvc_dir: Path) -> None:
    from granica.cli import app

    folder = _small_set(tmp_path, fvc_dir)
    args = ["afis", "eval", "--dataset", str(folder), "--json"]
    if DEFAULT_LIB.exists() or os.environ.get("AFIS_LFS_LIB"):
        args[4:4] = ["--baseline", "nbis"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert KEYS <= set(data)
    assert data["genuine"] == 9 and data["impostor"] == 27
    if "--baseline" in args:
        assert KEYS <= set(data["baseline"])


def test_cli_eval_on_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    from granica.cli import app
    from granica.errors import InputFormatError

    result = CliRunner().invoke(app, ["afis", "eval", "--dataset", str(tmp_path / "nope"), "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, InputFormatError)
