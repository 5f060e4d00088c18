"""Folders holding the same impressions in two formats (e.g. `101_1.tif` beside `101_1.wsq`):
the FVC evaluation must use one kind of file, chosen with `ext` / `--ext`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from granica.biometrics.evaluation import list_samples, protocol_pairs
from granica.errors import InputFormatError
from tests.conftest import shared_path

FINGERS = (101, 102)
IMPRESSIONS = (1, 2)


@pytest.fixture()
def mixed(tmp_path: Path) -> Path:
    """FVC2000 DB1_B TIFFs and their pgafis WSQ copies side by side (symlinks, nothing copied)."""
    tif = shared_path("fingerprints", "fvc2000_db1_b")
    wsq = shared_path("formats", "wsq", "pgafis_fvc2000_db1_b")
    folder = tmp_path / "mixed"
    folder.mkdir()
    for f in FINGERS:
        for i in IMPRESSIONS:
            os.symlink(tif / f"{f}_{i}.tif", folder / f"{f}_{i}.tif")
            os.symlink(wsq / f"{f}_{i}.wsq", folder / f"{f}_{i}.wsq")
    return folder


def test_mixed_folder_without_ext_names_the_extensions(mixed: Path) -> None:
    with pytest.raises(InputFormatError) as err:
        list_samples(mixed)
    assert "tif, wsq" in str(err.value) and "--ext" in str(err.value)
    assert err.value.field == "ext"


@pytest.mark.parametrize("ext", ["wsq", ".WSQ", "tif"])
def test_ext_picks_one_kind_and_no_impression_twice(mixed: Path, ext: str) -> None:
    samples = list_samples(mixed, ext)
    want = ext.lower().lstrip(".")
    assert {s.path.suffix for s in samples} == {f".{want}"}
    keys = [(s.finger, s.impression) for s in samples]
    assert keys == sorted(set(keys)) and len(keys) == len(FINGERS) * len(IMPRESSIONS)
    genuine, impostor, _ = protocol_pairs(samples)
    assert len(genuine) == len(FINGERS) and len(impostor) == 4  # 2 fingers x C(2,2); 2 x 2 cross


def test_absent_ext_is_a_clear_error(mixed: Path) -> None:
    with pytest.raises(InputFormatError, match=r"no FINGER_IMPRESSION\.png images.*tif, wsq"):
        list_samples(mixed, "png")


def test_single_kind_needs_no_ext(mixed: Path) -> None:
    for p in mixed.glob("*.wsq"):
        p.unlink()
    assert {s.path.suffix for s in list_samples(mixed)} == {".tif"}


def test_cli_eval_on_mixed_folder(mixed: Path) -> None:
    from granica.cli import app

    refused = CliRunner().invoke(app, ["afis", "eval", "--dataset", str(mixed), "--json"])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, InputFormatError)
    ok = CliRunner().invoke(app, ["afis", "eval", "--dataset", str(mixed), "--ext", "wsq", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout.strip().splitlines()[-1])
    assert (data["genuine"], data["impostor"]) == (2, 4)
