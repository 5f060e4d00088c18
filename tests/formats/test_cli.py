"""`granica nist dump | copy | validate | build` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from granica.biometrics.formats import read_tenprint, read_transaction
from granica.cli.nist import app
from tests.conftest import shared_path

runner = CliRunner()


def test_dump_json_lists_records_with_image_hashes() -> None:
    path = shared_path("formats", "ansi_nist", "nist_reference_files", "type-4-slaps.an2")
    result = runner.invoke(app, ["dump", str(path), "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    assert [r["type"] for r in listing["records"]] == [1, 2, 4, 4, 4, 4]
    assert listing["records"][2]["data"]["bytes"] > 10_000
    assert listing["bytes"] == path.stat().st_size
    text = runner.invoke(app, ["dump", str(path)])
    assert "1.004: AMN" in text.output


def test_copy_writes_identical_bytes(tmp_path: Path) -> None:
    path = shared_path("formats", "ansi_nist", "nist_reference_files", "type-14-amp-nqm-utf8.an2")
    out = tmp_path / "copy.an2"
    result = runner.invoke(app, ["copy", str(path), str(out)])
    assert result.exit_code == 0 and "identical" in result.output
    assert out.read_bytes() == path.read_bytes()


def test_build_then_validate(tmp_path: Path) -> None:
    folder = tmp_path / "prints"
    folder.mkdir()
    src = shared_path("fingerprints", "fvc2000_db1_b")
    for pos in range(1, 11):
        Image.open(src / f"{100 + pos}_2.tif").save(folder / f"{pos:02d}.png")
    Image.fromarray(np.full((800, 600, 3), 180, dtype=np.uint8)).save(folder / "face.jpg")
    spec = {
        "header": {
            "TOT": "CND1",
            "DAI": "EUCS000001",
            "ORI": "DE0000001",
            "TCN": "DE1-2026-7",
            "PRY": "2",
        },
        "type2": {"3": "DE", "4": "DE1A000002", "6": "20261126", "8": "OPERATOR42"},
        "face": "face.jpg",
    }
    (tmp_path / "subject.json").write_text(json.dumps(spec))
    out = tmp_path / "out.an2"
    result = runner.invoke(app, ["build", str(folder), str(tmp_path / "subject.json"), str(out)])
    assert result.exit_code == 0, result.output
    tp = read_tenprint(read_transaction(out))
    assert sorted(f.position for f in tp.fingers) == list(range(1, 11))
    assert tp.faces[0].compression == "JPEGB" and tp.descriptive[4] == "DE1A000002"
    for profile in ("eurodac", "national"):
        result = runner.invoke(app, ["validate", str(out), "--profile", profile])
        assert result.exit_code == 0, result.output
        assert "0 deviation(s)" in result.output


def test_validate_reports_deviations_and_fails(tmp_path: Path) -> None:
    path = shared_path("formats", "ansi_nist", "nist_reference_files", "type-4-tpcard.an2")
    result = runner.invoke(app, ["validate", str(path), "--profile", "eurodac", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    rules = {d["rule"] for d in report["deviations"]}
    assert {"type1.tot", "type1.version"} <= rules
    assert all(d["verified"] is False for d in report["deviations"] if d["rule"] == "type1.tot")


def test_bad_file_gives_a_domain_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.an2"
    bad.write_bytes(b"1.001:500\x1d1.002:0500\x1c")
    result = runner.invoke(app, ["dump", str(bad)])
    assert result.exit_code != 0
    assert "LEN 500" in str(result.exception)
