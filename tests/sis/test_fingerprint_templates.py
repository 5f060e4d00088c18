"""Turning one print into the template stored with a person alert (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_path


@pytest.fixture(scope="module")
def print_path() -> Path:
    return shared_path("fingerprints", "fvc2002_db1_b") / "101_1.tif"


def test_position_given_with_a_template_keeps_both_minutiae_sets(print_path: Path) -> None:
    from granica.biometrics.extract import extract
    from granica.sis.fingerprints import template_of

    tpl = extract(print_path, ppi=500)
    assert len(tpl.secondary) > 0
    placed = template_of((3, tpl), "prints[0]", gate=False)
    assert placed.finger_position == 3
    assert placed.minutiae.tobytes() == tpl.minutiae.tobytes()
    assert placed.secondary.tobytes() == tpl.secondary.tobytes()


def test_quality_gate_and_template_share_one_extraction(
    print_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from granica.biometrics import extract as E
    from granica.sis.fingerprints import template_of

    calls = []
    real = E.extract_features

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(E, "extract_features", counted)
    tpl = template_of((1, print_path.read_bytes()), "prints[0]", gate=True)
    assert len(tpl) >= 10 and len(tpl.secondary) > 0 and tpl.finger_position == 1
    assert len(calls) == 1
