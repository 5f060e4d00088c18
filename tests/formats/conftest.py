"""Fixtures for the format tests: small transactions made here, shared data read there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from granica.biometrics.formats import TransactionHeader, build_transaction, tenprint_from_images
from granica.biometrics.formats.an2k import Transaction
from tests.conftest import shared_path

REFERENCE_FOLDERS = ("nist_reference_files", "nbis_an2kconvert_testdata", "libbiomeval_test_data")


def header(tot: str = "CND1", **kw: str) -> TransactionHeader:
    values = dict(
        tot=tot,
        dai="EUCS000001",
        ori="DE0000001",
        tcn="DE1-2026-000001",
        date="20261127",
        priority="2",
        gmt="20261127120000Z",
    )
    values.update(kw)
    return TransactionHeader(**values)  # type: ignore[arg-type]


EURODAC_TYPE2 = {3: "DE", 4: "DE1A000001", 6: "20261126", 8: "OPERATOR42"}


def small_transaction(seed: int = 0, fingers: int = 2, record_type: int = 14) -> Transaction:
    """A tiny but complete transaction (uncompressed 24x24 prints) for parser tests."""
    rng = np.random.default_rng(seed)
    images = {pos: rng.integers(0, 256, (24, 24), dtype=np.uint8) for pos in range(1, fingers + 1)}
    tp = tenprint_from_images(
        images,
        header(),
        descriptive={3: "DE", 4: "DE1A000001"},
        compression="NONE",
        record_type=record_type,
    )
    return build_transaction(tp)


def reference_files() -> list[Path]:
    root = shared_path("formats", "ansi_nist")
    files = []
    for folder in REFERENCE_FOLDERS:
        files += sorted(
            p for p in (root / folder).iterdir() if p.suffix in (".an2", ".an2k", ".xml")
        )
    return files


@pytest.fixture(scope="session")
def fvc_images() -> dict[int, np.ndarray]:
    """Ten different FVC2000 DB1_B fingers (101_1 ... 110_1) as positions 1-10."""
    from granica.biometrics.formats import read_image

    folder = shared_path("fingerprints", "fvc2000_db1_b")
    return {i + 1: read_image(folder / f"{101 + i}_1.tif")[0] for i in range(10)}
