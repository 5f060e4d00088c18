"""Fixtures of the fingerprint tests: real FVC images, extracted once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_path

# The set the accuracy bound is asserted on (stable here: EER 1.8-2.5% across changes).
ACCEPTANCE_SET = "fvc2002_db1_b"


@pytest.fixture(scope="session")
def fvc_dir() -> Path:
    return shared_path("fingerprints", ACCEPTANCE_SET)


@pytest.fixture(scope="session")
def fvc_all(fvc_dir: Path) -> dict[str, Any]:
    """Templates of all 80 images of the acceptance set, keyed 'FINGER_IMPRESSION'."""
    from granica.biometrics.evaluation import list_samples
    from granica.biometrics.extract import extract

    return {f"{s.finger}_{s.impression}": extract(s.path, ppi=500) for s in list_samples(fvc_dir)}


@pytest.fixture(scope="session")
def fvc_templates(fvc_all: dict[str, Any]) -> dict[str, Any]:
    """Fingers 101-104, all impressions."""
    return {k: v for k, v in fvc_all.items() if int(k.split("_")[0]) <= 104}
