"""Reading an MRZ from an image: a rendered data page read back through PassportEye and tesseract."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from granica.documents.image import read_mrz_image
from granica.errors import InputFormatError
from tests.conftest import missing

TODAY = dt.date(2026, 12, 6)
OCR_B = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")  # Debian package fonts-ocr-b
MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"


def require_ocr(font: Path = OCR_B) -> None:
    """Tesseract and the OCR-B font; without them the test skips, and fails under CI."""
    if shutil.which("tesseract") is None or not font.is_file():
        missing("needs Debian packages tesseract-ocr, tesseract-ocr-eng and fonts-ocr-b")


@pytest.fixture
def ocr() -> None:
    require_ocr()


needs_ocr = pytest.mark.usefixtures("ocr")


def _render(path: Path, mrz: str) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(OCR_B), 36)
    lines = mrz.split("\n")
    image = Image.new("L", (int(font.getlength(lines[0])) + 120, 700), 255)
    draw = ImageDraw.Draw(image)
    draw.text((60, 80), "PASSPORT", font=font, fill=0)
    for i, line in enumerate(lines):
        draw.text((60, 540 + i * 60), line, font=font, fill=0)
    image.save(path)


@needs_ocr
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_rendered_mrz_is_read_back_and_validated(tmp_path: Path) -> None:
    page = tmp_path / "page.png"
    _render(page, MRZ)
    result = read_mrz_image(page, today=dt.date(2026, 1, 1))
    assert result.type == "TD3"
    assert result.valid, result.to_dict()
    assert result.fields["document_number"] == "L898902C3"
    assert result.fields["birth_date"] == "740812"
    assert result.fields["surname"] == "ERIKSSON"
    assert result.fields["nationality"] == "UTO"


def test_non_image_file_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "scan.png"
    fake.write_bytes(b"%PDF-1.4 this is not an image")
    with pytest.raises(InputFormatError, match="not a readable image"):
        read_mrz_image(fake, today=TODAY)


def test_truncated_image_is_a_clear_error(tmp_path: Path) -> None:
    from PIL import Image

    good = tmp_path / "good.png"
    Image.new("L", (200, 100), 255).save(good)
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:60])
    with pytest.raises(InputFormatError, match="broken.png"):
        read_mrz_image(broken, today=TODAY)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="no such file"):
        read_mrz_image(tmp_path / "absent.jpg", today=TODAY)


def test_ocr_filler_runs_are_rebuilt_but_name_letters_kept() -> None:
    from granica.documents.mrz import normalize_ocr_text

    text = (
        "P<UTOERIKSSON<<ANNA<MARIA<<<K<<K<<K<K<KK<KKKK<KK\n"
        "L898902C36UT07408122F1204159ZE184226B<<<<<10"
    )
    line1, line2 = normalize_ocr_text(text).split("\n")
    assert line1 == "P<UTOERIKSSON<<ANNA<MARIA" + "<" * 19
    assert line2.endswith("<<<<<10")
    td1_name = "STEVENSON<<PETER<JOHN<ERIKKKK"
    assert normalize_ocr_text("A" * 30 + "\n" + "B" * 30 + "\n" + td1_name + "K").split("\n")[
        2
    ] == (td1_name + "K")


@needs_ocr
@pytest.mark.slow
def test_image_without_mrz_gives_an_error_result(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    blank = tmp_path / "blank.png"
    image = Image.new("L", (800, 500), 255)
    ImageDraw.Draw(image).rectangle((100, 100, 300, 200), outline=0, width=3)
    image.save(blank)
    result = read_mrz_image(blank, today=TODAY)
    assert not result.valid
    assert result.errors[0]["code"] == "no_mrz_found"


def test_missing_ocr_tools_fail_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="fonts-ocr-b"):
        require_ocr(tmp_path / "no-font.otf")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        require_ocr(tmp_path / "no-font.otf")
