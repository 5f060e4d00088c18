"""Fingerprint image input: decoding (PNG, TIFF, BMP, JPEG, WSQ), sanity checks and
rescaling to the engine's working resolution of 500 ppi."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from granica.errors import BiometricError, InputFormatError

WORKING_PPI = 500
MIN_PPI = 250
MAX_PPI = 2000
MAX_SIDE = 4000
# A fingertip is about 12 mm wide: 0.3 inch at 500 ppi is 150 px; smaller crops hold
# too few minutiae to compare.
MIN_SIDE_AT_500 = 96


class ImageQualityError(BiometricError):
    """The image decoded but cannot be used: blank, too small, too large, wrong resolution."""

    code = "fingerprint_image_unusable"


@dataclass(frozen=True)
class FingerprintImage:
    """An 8-bit grayscale fingerprint (dark ridges on light background) at `ppi`."""

    pixels: np.ndarray  # uint8, (height, width)
    ppi: int
    source_ppi: int

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def _decode(data: bytes, name: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        import wsq  # noqa: F401  -- registers the WSQ codec with Pillow
    except ImportError:  # pragma: no cover - wsq is a declared dependency
        pass
    if not data:
        raise InputFormatError(f"{name}: the file is empty; supply a PNG, TIFF, BMP, JPEG or WSQ image")
    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if w > MAX_SIDE or h > MAX_SIDE:
                raise ImageQualityError(
                    f"{name}: image is {w} x {h} pixels, larger than {MAX_SIDE} x {MAX_SIDE}; "
                    "crop it to one finger or send it as a ten-print record",
                    field="image",
                )
            im.load()
            gray = im.convert("L")
            arr = np.asarray(gray, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputFormatError(
            f"{name}: not a readable fingerprint image ({type(exc).__name__}: {exc}); "
            "supply an uncorrupted PNG, TIFF, BMP, JPEG or WSQ file",
            field="image",
        ) from exc
    except Exception as exc:
        if isinstance(exc, BiometricError):
            raise
        raise InputFormatError(
            f"{name}: the image decoder failed ({type(exc).__name__}: {exc}); the file is "
            "probably truncated or corrupt",
            field="image",
        ) from exc
    return arr


def _declared_ppi(data: bytes) -> int | None:
    """The resolution written in the file, when it looks real (many writers put 1 or 72)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            dpi = im.info.get("dpi")
    except Exception:  # noqa: BLE001 - whatever fails here, `_decode` has named it already
        return None
    if not dpi:
        return None
    try:
        value = round(float(dpi[0]))
    except (TypeError, ValueError):
        return None
    return value if MIN_PPI <= value <= MAX_PPI else None


def to_pixels(
    source: str | Path | bytes | np.ndarray, ppi: int | None = None
) -> FingerprintImage:
    """Decode `source` and rescale it to 500 ppi.

    `ppi` is the scan resolution; when omitted, a plausible resolution written in the file
    is used, else 500 (FVC and most livescan files carry none).
    """
    if isinstance(source, np.ndarray):
        arr = np.asarray(source)
        if arr.ndim != 2:
            raise InputFormatError(
                f"pixel array has shape {arr.shape}; expected a 2-D grayscale array",
                field="image",
            )
        if arr.dtype != np.uint8:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        name, declared = "array", None
        h, w = arr.shape
        if w > MAX_SIDE or h > MAX_SIDE:
            raise ImageQualityError(
                f"array is {w} x {h} pixels, larger than {MAX_SIDE} x {MAX_SIDE}", field="image"
            )
    else:
        if isinstance(source, bytes):
            data, name = source, "image"
        else:
            path = Path(source)
            name = str(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputFormatError(f"{name}: cannot read the file ({exc})") from exc
        arr = _decode(data, name)
        declared = _declared_ppi(data)
    src_ppi = int(ppi) if ppi is not None else (declared or WORKING_PPI)
    if not MIN_PPI <= src_ppi <= MAX_PPI:
        raise ImageQualityError(
            f"{name}: resolution {src_ppi} ppi is outside {MIN_PPI}-{MAX_PPI} ppi; "
            "give the scanner's true resolution (500 for most livescan, 1000 for rolled prints)",
            field="ppi",
        )
    if src_ppi != WORKING_PPI:
        from PIL import Image

        scale = WORKING_PPI / src_ppi
        h, w = arr.shape
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        arr = np.asarray(Image.fromarray(arr).resize((nw, nh), Image.Resampling.LANCZOS))
    h, w = arr.shape
    if min(h, w) < MIN_SIDE_AT_500:
        raise ImageQualityError(
            f"{name}: image is {w} x {h} pixels at 500 ppi, smaller than a fingertip "
            f"({MIN_SIDE_AT_500} px); capture the whole fingertip",
            field="image",
        )
    if float(arr.std()) < 4.0:
        tone = "all black" if arr.mean() < 40 else ("all white" if arr.mean() > 215 else "uniform")
        raise ImageQualityError(
            f"{name}: image is {tone} (no ridge structure); recapture the finger",
            field="image",
        )
    return FingerprintImage(pixels=arr, ppi=WORKING_PPI, source_ppi=src_ppi)
