"""Reading an MRZ from a photo or scan of the data page (PassportEye + Debian's tesseract-ocr).

For desks and kiosks without an MRZ reader; the text found goes through `parse_mrz`, so OCR
confusions are corrected only where check digits confirm them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path

from granica.documents.mrz import MrzResult, parse_mrz
from granica.errors import InputFormatError, ServiceUnavailable, TooLargeError

MAX_IMAGE_BYTES = 25 * 1024 * 1024


def _check_image(path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise InputFormatError(
            f"{path}: no such file; give the path of a photo or scan", field="image"
        )
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise TooLargeError(
            f"{path}: {size} bytes, more than the {MAX_IMAGE_BYTES}-byte limit for an image",
            field="image",
        )
    try:
        with Image.open(path) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputFormatError(
            f"{path}: not a readable image ({type(exc).__name__}: {exc}); give a PNG, JPEG, TIFF or BMP "
            "photo or scan of the data page",
            field="image",
        ) from None


def read_mrz_image(path: str | Path, *, today: dt.date) -> MrzResult:
    """Find and read the MRZ in an image and validate it like typed input.

    Raises InputFormatError for a missing, corrupt or non-image file, ServiceUnavailable when
    tesseract is not installed. An image in which no MRZ is found gives a result with `errors`.
    """
    path = Path(path)
    _check_image(path)
    if shutil.which("tesseract") is None:
        raise ServiceUnavailable(
            "tesseract is not installed: install the Debian packages tesseract-ocr and tesseract-ocr-eng"
        )
    from passporteye import read_mrz

    try:
        with warnings.catch_warnings():
            # PassportEye calls scikit-image APIs that warn about their own future removal.
            warnings.simplefilter("ignore", FutureWarning)
            found = read_mrz(str(path))
    except Exception as exc:  # noqa: BLE001 - PassportEye/scikit-image raise many kinds on odd images
        raise InputFormatError(
            f"{path}: the image could not be analysed ({type(exc).__name__}: {exc})", field="image"
        ) from None
    if found is None:
        return MrzResult(
            None,
            False,
            {},
            {},
            {},
            errors=[
                {
                    "code": "no_mrz_found",
                    "message": f"{path}: no machine-readable zone found in the image; "
                    "photograph the whole data page, flat, in focus and without glare",
                }
            ],
        )
    text = str(found.aux.get("text", ""))
    return parse_mrz(text, today=today, from_ocr=True)
