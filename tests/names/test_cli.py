"""The command line contract: `granica names compare|eval --json` and its keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from granica.cli import app

CONTRACT_KEYS = {"pairs", "auc", "tmr_at_fmr_1pct", "tmr_at_fmr_5pct", "precision", "recall",
                 "threshold"}  # fmt: skip

PAIRS = [
    {"a": "Ђорђе Јовановић", "b": "JOVANOVIC<<DORDE", "same": True},
    {"a": "Mohammed Yusuf", "b": "Muhammad Youssef", "same": True},
    {"a": "Vladimir Putin", "b": "Путин Владимир", "same": True},
    {"a": "Hans Müller", "b": "MUELLER<<HANS", "same": True},
    {"a": "Qusay Saddam Hussein", "b": "Saddam Hussein", "same": False},
    {"a": "Ali Hassan", "b": "Hala Hassan", "same": False},
    {"a": "Marko Marković", "b": "Petar Petrović", "same": False},
    {"a": "Joe", "b": "Yazid Sufaat", "same": True, "alias_quality": "Low"},
]


@pytest.fixture()
def pairs_file(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PAIRS) + "\n",
                    encoding="utf-8")  # fmt: skip
    return path


def test_compare_json() -> None:
    result = CliRunner().invoke(app, ["names", "compare", "Ђорђе Јовановић", "JOVANOVIC<<DORDE",
                                      "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"a", "b", "score", "match", "threshold", "reasons"} <= set(data)
    assert data["match"] is True and data["score"] > 0.9


def test_compare_empty_name_is_a_domain_error() -> None:
    # Through the real entry point: error JSON on stdout, message on stderr, exit 2.
    proc = subprocess.run(
        [sys.executable, "-m", "granica", "names", "compare", "  ", "Marko", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"] == "empty_name"
    assert "nothing to compare" in proc.stderr


def test_eval_json_keys(pairs_file: Path) -> None:
    result = CliRunner().invoke(app, ["names", "eval", str(pairs_file), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(data)
    assert CONTRACT_KEYS <= set(data["baseline"])
    assert data["pairs"] == 7  # the low-quality alias is left out
    assert data["left_out_low_quality_aliases"] == 1
    assert data["auc"] == 1.0


def test_eval_with_reference(pairs_file: Path) -> None:
    pytest.importorskip("nomenklatura")
    result = CliRunner().invoke(
        app, ["names", "eval", str(pairs_file), "--json", "--reference", "nomenklatura"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert CONTRACT_KEYS <= set(data["reference"])


def test_eval_reference_missing_says_so(pairs_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nomenklatura", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "nomenklatura.matching", None)
    from granica.errors import ValidationError
    from granica.names.evaluate import run_eval

    with pytest.raises(ValidationError, match="not installed"):
        run_eval(pairs_file, reference="nomenklatura", progress=None)


def test_eval_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": "x"}\n', encoding="utf-8")
    from granica.errors import InputFormatError
    from granica.names.evaluate import run_eval

    with pytest.raises(InputFormatError, match="bad.jsonl:1"):
        run_eval(bad, progress=None)
