"""Reading fingerprint images: formats, resolution, and clear errors for bad input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from granica.biometrics.image import to_pixels
from granica.errors import BiometricError, GranicaError, InputFormatError
from tests.conftest import shared_path


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_reads_tiff_at_native_resolution(fvc_dir: Path) -> None:
    img = to_pixels(fvc_dir / "101_1.tif", ppi=500)
    assert (img.width, img.height) == (388, 374)
    assert img.ppi == 500


def test_rescales_569_ppi_to_500() -> None:
    path = shared_path("fingerprints", "fvc2002_db2_b", "101_1.tif")
    img = to_pixels(path, ppi=569)
    assert img.width == round(296 * 500 / 569)
    assert img.height == round(560 * 500 / 569)


def test_rescales_1000_ppi_rolled_print(fvc_dir: Path) -> None:
    big = Image.open(fvc_dir / "101_1.tif").resize((776, 748))
    img = to_pixels(np.asarray(big), ppi=1000)
    assert abs(img.width - 388) <= 1


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "JPEG", "TIFF"])
def test_reads_common_formats(fvc_dir: Path, fmt: str) -> None:
    buf = io.BytesIO()
    Image.open(fvc_dir / "101_1.tif").save(buf, format=fmt)
    img = to_pixels(buf.getvalue(), ppi=500)
    assert img.pixels.shape == (374, 388)


def test_reads_wsq() -> None:
    path = shared_path("formats", "wsq", "pgafis_fvc2000_db1_b", "101_1.wsq")
    img = to_pixels(path, ppi=500)
    assert img.pixels.shape == (300, 300)
    # A real print decodes to ridges: strong grey-level variation.
    assert img.pixels.std() > 20


def test_not_an_image() -> None:
    with pytest.raises(InputFormatError, match="not a readable"):
        to_pixels(b"this is a text file, not a fingerprint")


def test_empty_file() -> None:
    with pytest.raises(InputFormatError, match="empty"):
        to_pixels(b"")


def test_truncated_png(fvc_dir: Path) -> None:
    data = _png(np.asarray(Image.open(fvc_dir / "101_1.tif")))
    with pytest.raises(InputFormatError):
        to_pixels(data[: len(data) // 2])


def test_truncated_wsq() -> None:
    data = shared_path("formats", "wsq", "pgafis_fvc2000_db1_b", "101_1.wsq").read_bytes()
    with pytest.raises(InputFormatError):
        to_pixels(data[: len(data) // 3])


@pytest.mark.parametrize("value", [0, 255, 128])
def test_blank_images(value: int) -> None:
    with pytest.raises(BiometricError, match="no ridge structure"):
        to_pixels(_png(np.full((300, 300), value, np.uint8)))


def test_too_small(fvc_dir: Path) -> None:
    arr = np.asarray(Image.open(fvc_dir / "101_1.tif"))[100:160, 100:160]
    with pytest.raises(BiometricError, match="smaller than a fingertip"):
        to_pixels(_png(np.ascontiguousarray(arr)))


def test_too_large() -> None:
    buf = io.BytesIO()
    Image.new("L", (4100, 200), 128).save(buf, format="PNG")
    with pytest.raises(BiometricError, match="larger than 4000"):
        to_pixels(buf.getvalue())


@pytest.mark.parametrize("ppi", [72, 5000])
def test_wrong_resolution(fvc_dir: Path, ppi: int) -> None:
    with pytest.raises(BiometricError, match="ppi"):
        to_pixels(fvc_dir / "101_1.tif", ppi=ppi)


def test_corrupt_bytes_never_crash(fvc_dir: Path) -> None:
    original = np.asarray(Image.open(fvc_dir / "101_1.tif"))
    data = bytearray(_png(original))
    rng = np.random.default_rng(1)
    accepted = 0
    for size in [1, 2, 30] * 20:
        bad = bytearray(data)
        for pos in rng.integers(8, len(bad), size=size):
            bad[int(pos)] = int(rng.integers(0, 256))
        try:
            image = to_pixels(bytes(bad))
        except GranicaError:
            continue
        # PNG's checksums leave no silent damage: what is accepted is the scan as it was
        accepted += 1
        assert image.ppi == 500 and image.pixels.dtype == np.uint8
        assert np.array_equal(image.pixels, original)
    assert accepted < 60  # the corruptions were seen, not all passed over
