"""WSQ through NBIS: the reference decode, FVC2000 PSNR, our encoder's header, corrupt input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from granica.biometrics.formats import (
    ImageFormatError,
    decode_wsq,
    encode_wsq,
    psnr,
    raster_offset_psnr,
    read_image,
    wsq_info,
)
from granica.errors import InputFormatError, TooLargeError
from tests.conftest import shared_path


@pytest.mark.acceptance
def test_jnbis_sample_decodes_to_its_expected_png() -> None:
    folder = shared_path("formats", "wsq", "jnbis_sample")
    pixels, _ppi = decode_wsq((folder / "sample.wsq").read_bytes())
    expected = np.asarray(Image.open(folder / "sample.png").convert("L"))
    assert pixels.shape == expected.shape == (622, 545)
    close = np.abs(pixels.astype(int) - expected.astype(int)) <= 1
    assert close.mean() >= 0.999


@pytest.mark.acceptance
@pytest.mark.parametrize("name", ["101_1", "104_5", "107_3", "110_8"])
def test_fvc2000_wsq_copies_decode_close_to_the_tiffs(name: str) -> None:
    # The pgafis WSQ copies hold the TIFF pixels displaced by 15 positions in raster order
    # (their converter mis-skipped the TIFF header): as-is PSNR is about 19 dB, aligned PSNR
    # about 45 dB. The offset is searched for, not assumed.
    wsq = shared_path("formats", "wsq", "pgafis_fvc2000_db1_b") / f"{name}.wsq"
    tif = shared_path("fingerprints", "fvc2000_db1_b") / f"{name}.tif"
    decoded, ppi = read_image(wsq)
    original, _ = read_image(tif)
    assert ppi is None  # pgafis wrote PPI -1 (not stated)
    aligned, offset = raster_offset_psnr(decoded, original)
    assert aligned > 30.0
    assert offset == 15
    assert psnr(decoded, original) < aligned


def test_our_encoder_states_ppi_and_bit_rate() -> None:
    original, _ = read_image(shared_path("fingerprints", "fvc2000_db1_b") / "102_2.tif")
    data = encode_wsq(original, ppi=500)
    assert wsq_info(data) == {"width": 300, "height": 300, "ppi": 500}
    assert b"WSQ_BITRATE 0.75" in data[:200]
    decoded, ppi = decode_wsq(data)
    assert ppi == 500 and decoded.shape == original.shape
    assert psnr(decoded, original) > 30.0
    # 0.75 bit/pixel is about 10.7:1 against 8-bit pixels
    assert len(data) < original.size / 5
    # rows and columns are not swapped on a non-square image
    crop = original[10:290, 40:240]
    decoded, _ = decode_wsq(encode_wsq(crop))
    assert decoded.shape == (280, 200) and psnr(decoded, crop) > 30.0


def test_every_wsq_in_the_shared_data_decodes() -> None:
    root = shared_path("formats", "wsq")
    files = sorted(root.glob("*/*.wsq"))
    assert len(files) >= 96
    for path in files[::8]:
        info = wsq_info(path.read_bytes())
        pixels, _ = decode_wsq(path.read_bytes())
        assert pixels.shape == (info["height"], info["width"])


def test_read_image_formats_agree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    original, _ = read_image(shared_path("fingerprints", "fvc2000_db1_b") / "103_1.tif")
    for ext in ("png", "bmp", "tif"):
        path = tmp_path / f"x.{ext}"
        Image.fromarray(original).save(path, dpi=(500, 500))
        pixels, ppi = read_image(path)
        assert np.array_equal(pixels, original)
        assert ppi in (500, None) if ext == "bmp" else ppi == 500
    Image.fromarray(original).save(tmp_path / "x.jpg", quality=95)
    pixels, _ = read_image(tmp_path / "x.jpg")
    assert psnr(pixels, original) > 30


def test_corrupt_wsq_is_refused_with_an_offset() -> None:
    good = encode_wsq(np.full((64, 64), 128, dtype=np.uint8))
    with pytest.raises(ImageFormatError, match="byte offset 0"):
        decode_wsq(b"\x00\x00" + good[2:])
    with pytest.raises(ImageFormatError, match="byte offset 2"):
        decode_wsq(good[:2] + b"\xff\xa4\xff\xff" + good[6:])
    with pytest.raises(InputFormatError):
        decode_wsq(good[:40])
    huge = bytearray(good)
    sof = huge.index(b"\xff\xa2")
    huge[sof + 6 : sof + 10] = b"\xff\xff\xff\xff"
    with pytest.raises(TooLargeError):
        decode_wsq(bytes(huge))


def test_unreadable_images() -> None:
    with pytest.raises(ImageFormatError):
        read_image(b"not an image at all")
    with pytest.raises(ImageFormatError):
        read_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fuzz_wsq_decoder(data: st.DataObject) -> None:
    raw = bytearray(_SAMPLE)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        choice = data.draw(st.integers(0, 2))
        if choice == 0:
            raw[pos] = data.draw(st.integers(0, 255))
        elif choice == 1:
            del raw[pos:]
            if not raw:
                break
        else:
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=3))
    try:
        pixels, _ = decode_wsq(bytes(raw))
    except (InputFormatError, TooLargeError):
        return
    assert pixels.dtype == np.uint8 and pixels.ndim == 2


_SAMPLE = encode_wsq(np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1)))


def _atheris_crasher() -> bytes:
    """The libbiomeval test image with the mutations with which atheris crashed NBIS (SIGSEGV,
    after an earlier decode in the same process had left its tables behind)."""
    original = (shared_path("formats", "wsq", "libbiomeval") / "img.wsq").read_bytes()
    data = bytearray(original)
    data[2862:3363] = original[1785:2286]
    data[705], data[1637], data[7467] = 0xCF, 0x8F, 0xB3
    data[6809:6813] = b"\x01\x00\x00\x00"
    return bytes(data)


def test_file_that_crashed_nbis_is_refused_and_the_decoder_survives() -> None:
    good = (shared_path("formats", "wsq", "libbiomeval") / "img.wsq").read_bytes()
    decode_wsq(good)
    with pytest.raises(ImageFormatError, match="corrupt WSQ"):
        decode_wsq(_atheris_crasher())
    assert decode_wsq(good)[0].shape == (256, 256)


def test_a_crashing_decoder_process_becomes_an_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from granica.biometrics.formats import wsq_worker

    good = encode_wsq(np.full((32, 32), 90, dtype=np.uint8))
    crasher = "import os, sys\nsys.stdin.buffer.read(4)\nos.abort()\n"
    monkeypatch.setattr(wsq_worker, "_SCRIPT", crasher)
    worker = wsq_worker.WsqWorker()
    with pytest.raises(ImageFormatError, match="crashed"):
        worker.decode(good)
    monkeypatch.undo()
    pixels, width, height = worker.decode(good)  # restarted with the real decoder
    assert (width, height) == (32, 32) and len(pixels) == 1024
    worker.close()
