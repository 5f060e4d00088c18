"""Finger and face image codecs: WSQ through NBIS (the `wsq` package), PNG, JPEG, JPEG 2000,
TIFF, BMP.

WSQ input is walked marker by marker in Python before the NBIS C decoder sees it, so a corrupt
or hostile file is refused with an offset instead of reaching C code with impossible sizes.
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from granica.biometrics.formats.errors import ImageFormatError
from granica.errors import TooLargeError

# NIST's recommended WSQ bit rate for 500 ppi prints (about 10.7:1 against 8-bit pixels). The
# NBIS build inside the `wsq` package (0.9) always encodes at this rate whatever rate is asked.
WSQ_BITRATE = 0.75
MAX_PIXELS = 40_000_000  # larger than a full palm at 1000 ppi; bounds decoder memory
MAX_IMAGE_BYTES = 64 * 1024 * 1024

_SOI, _EOI, _SOF, _SOB = 0xFFA0, 0xFFA1, 0xFFA2, 0xFFA3
_TABLES = {0xFFA4, 0xFFA5, 0xFFA6, 0xFFA7, 0xFFA8}  # DTT, DQT, DHT, DRT, COM
_PPI = re.compile(rb"\nPPI (-?\d+)")


def _wsq_module() -> Any:  # imported lazily: the C extension is only needed for WSQ
    try:
        import _wsq
    except ImportError as exc:  # pragma: no cover - the dependency is pinned
        raise ImageFormatError(
            "WSQ support needs the `wsq` package (pip install wsq==0.9)"
        ) from exc
    return _wsq


def wsq_info(data: bytes) -> dict[str, int | None]:
    """Check a WSQ stream's marker structure; return width, height, ppi (None when not stated).

    Raises ImageFormatError with the byte offset of the first thing that is wrong.
    """
    size = len(data)
    if size < 4 or struct.unpack_from(">H", data, 0)[0] != _SOI:
        raise ImageFormatError(
            "not a WSQ image: it does not start with the SOI marker FFA0 (byte offset 0)"
        )
    pos = 2
    ppi: int | None = None
    while pos + 4 <= size:
        (marker,) = struct.unpack_from(">H", data, pos)
        if marker in _TABLES:
            (length,) = struct.unpack_from(">H", data, pos + 2)
            if length < 2 or pos + 2 + length > size:
                raise ImageFormatError(
                    f"corrupt WSQ: segment {marker:04X} at byte offset {pos} declares {length} "
                    f"bytes but {size - pos - 2} remain"
                )
            if marker == 0xFFA8:
                m = _PPI.search(data, pos + 4, pos + 2 + length)
                if m is not None and int(m.group(1)) > 0:
                    ppi = int(m.group(1))
            pos += 2 + length
        elif marker == _SOF:
            if pos + 12 > size:
                raise ImageFormatError(
                    f"corrupt WSQ: frame header at byte offset {pos} is cut short"
                )
            height, width = struct.unpack_from(">HH", data, pos + 6)
            if width == 0 or height == 0:
                raise ImageFormatError(
                    f"corrupt WSQ: frame header at byte offset {pos} gives {width}x{height} pixels"
                )
            if width * height > MAX_PIXELS:
                raise TooLargeError(
                    f"WSQ frame header at byte offset {pos} declares {width}x{height} pixels, over "
                    f"the {MAX_PIXELS}-pixel limit"
                )
            return {"width": width, "height": height, "ppi": ppi}
        else:
            raise ImageFormatError(
                f"corrupt WSQ: unexpected marker {marker:04X} at byte offset {pos} before the "
                "frame header (SOF, FFA2)"
            )
    raise ImageFormatError(f"corrupt WSQ: no frame header (SOF, FFA2) in {size} bytes")


def decode_wsq(data: bytes, *, isolate: bool = True) -> tuple[np.ndarray, int | None]:
    """Decode WSQ to a (height, width) uint8 array and the ppi its NISTCOM comment states.

    NBIS runs in a child process (`isolate`, the default), because some corrupt files crash its
    C code; pass isolate=False only for data Granica made itself.
    """
    info = wsq_info(data)
    if isolate:
        from granica.biometrics.formats.wsq_worker import WORKER

        pixels, width, height = WORKER.decode(bytes(data))
    else:
        try:
            pixels, width, height, _ = _wsq_module().decompress(bytes(data))
        except Exception as exc:  # NBIS reports failures as a bare Exception("WSQ Error: n")
            raise ImageFormatError(f"corrupt WSQ: the NBIS decoder failed ({exc})") from exc
    if (width, height) != (info["width"], info["height"]) or len(pixels) != width * height:
        raise ImageFormatError(
            f"corrupt WSQ: decoded {len(pixels)} bytes for a {info['width']}x{info['height']} frame"
        )
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width).copy(), info["ppi"]


def encode_wsq(pixels: np.ndarray, ppi: int = 500) -> bytes:
    """Encode an 8-bit grey image as WSQ at the NIST-recommended 0.75 bit/pixel.

    The NISTCOM comment states `ppi` (NBIS writes 500 or -1 depending on its build).
    """
    img = _as_grey(pixels)
    height, width = img.shape
    if width < 16 or height < 16:
        raise ImageFormatError(f"WSQ needs at least 16x16 pixels, not {width}x{height}")
    out = _wsq_module().compress(np.ascontiguousarray(img).tobytes(), height, width, WSQ_BITRATE)
    return _set_nistcom_ppi(bytes(out), ppi)


def _set_nistcom_ppi(data: bytes, ppi: int) -> bytes:
    if data[2:4] != b"\xff\xa8":
        return data
    (length,) = struct.unpack_from(">H", data, 4)
    comment = data[6 : 4 + length]
    if not comment.startswith(b"NIST_COM"):
        return data
    new = _PPI.sub(b"\nPPI " + str(ppi).encode("ascii"), comment, count=1)
    return data[:4] + struct.pack(">H", len(new) + 2) + new + data[4 + length :]


def _as_grey(pixels: np.ndarray) -> np.ndarray:
    img = np.asarray(pixels)
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)
    if img.ndim != 2:
        raise ImageFormatError(f"expected a 2-D grey image, got an array of shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return img


def encode_image(pixels: np.ndarray, fmt: str, ppi: int = 500) -> bytes:
    """Encode grey pixels as WSQ, PNG, JP2 (lossy JPEG 2000), JP2L (lossless) or NONE (raw)."""
    fmt = fmt.upper()
    img = _as_grey(pixels)
    if fmt in ("WSQ", "WSQ20"):
        return encode_wsq(img, ppi)
    if fmt == "NONE":
        return np.ascontiguousarray(img).tobytes()
    from PIL import Image

    buf = io.BytesIO()
    im = Image.fromarray(img)
    if fmt == "PNG":
        im.save(buf, format="PNG", dpi=(ppi, ppi))
    elif fmt == "JP2L":
        im.save(buf, format="JPEG2000", irreversible=False, no_jp2=False)
    elif fmt == "JP2":
        im.save(
            buf,
            format="JPEG2000",
            irreversible=True,
            quality_mode="rates",
            quality_layers=[10],
            no_jp2=False,
        )
    else:
        raise ImageFormatError(f"cannot encode images as {fmt!r}: use WSQ, PNG, JP2, JP2L or NONE")
    return buf.getvalue()


def read_image(
    source: str | Path | bytes, *, max_bytes: int = MAX_IMAGE_BYTES
) -> tuple[np.ndarray, int | None]:
    """Read a PNG, TIFF, BMP, JPEG, JPEG 2000 or WSQ image as 8-bit grey pixels and its ppi.

    Returns (uint8 array of shape (height, width), ppi or None when the file does not state it).
    Colour images are converted to grey. Raises ImageFormatError for anything unreadable.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = "image"
    else:
        path = Path(source)
        if path.stat().st_size > max_bytes:
            raise TooLargeError(f"{path}: over the {max_bytes}-byte image limit")
        data = path.read_bytes()
        name = str(path)
    if len(data) > max_bytes:
        raise TooLargeError(f"image of {len(data)} bytes is over the {max_bytes}-byte limit")
    if data[:2] == b"\xff\xa0":
        return decode_wsq(data)
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as im:
            ppi = _pil_ppi(im.info)
            # palette, alpha and CMYK go through RGB so that grey levels follow luminance
            grey = (im.convert("RGB") if im.mode in ("RGBA", "P", "CMYK") else im).convert("L")
            arr = np.asarray(grey, dtype=np.uint8).copy()
    except Image.DecompressionBombError as exc:
        raise TooLargeError(f"{name}: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageFormatError(
            f"{name}: not a readable PNG/TIFF/BMP/JPEG/JPEG 2000/WSQ image ({exc})"
        ) from exc
    return arr, ppi


def _pil_ppi(info: dict[Any, Any]) -> int | None:
    dpi = info.get("dpi")
    if isinstance(dpi, tuple) and dpi and dpi[0]:
        value = round(float(dpi[0]))
        return value if value > 1 else None
    return None


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two 8-bit images of the same shape, in dB."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(255.0**2 / mse))


def raster_offset_psnr(
    decoded: np.ndarray, original: np.ndarray, max_offset: int = 32
) -> tuple[float, int]:
    """Best PSNR when `decoded` is `original` displaced by k pixels in raster order, and that k.

    For comparing images whose converter skipped or added a few header bytes (the pgafis WSQ
    copies of FVC2000 DB1_B are the TIFF pixels 15 positions late); only the overlap is compared.
    """
    if decoded.shape != original.shape:
        raise ValueError(f"shapes differ: {decoded.shape} vs {original.shape}")
    a = decoded.ravel().astype(np.float64)
    b = original.ravel().astype(np.float64)
    best = (-1.0, 0)
    for k in range(-max_offset, max_offset + 1):
        x, y = (a[k:], b[: len(b) - k]) if k >= 0 else (a[:k], b[-k:])
        mse = float(np.mean((x - y) ** 2))
        value = float("inf") if mse == 0 else 10.0 * float(np.log10(255.0**2 / mse))
        if value > best[0]:
            best = (value, k)
    return best
