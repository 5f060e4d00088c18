"""The font the PDFs Granica prints (refusal forms, reports, SIRENE forms) are set in: a
TrueType font with Latin diacritics and Cyrillic, $GRANICA_PDF_FONT or Debian's DejaVu Sans
(fonts-dejavu-core), registered with reportlab once."""

from __future__ import annotations

import os
from pathlib import Path

FONT_ENV = "GRANICA_PDF_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
)
FONT_NAME = "GranicaSans"


def find_font() -> Path | None:
    """The font file: $GRANICA_PDF_FONT, else the first DejaVu Sans found; None when none is."""
    override = os.environ.get(FONT_ENV)
    candidates = ((override,) if override else ()) + FONT_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def pdf_font() -> str | None:
    """The registered reportlab name of that font, or None when no font file was found (the
    caller falls back to Helvetica, which has no Cyrillic)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = find_font()
    if path is None:
        return None
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
    return FONT_NAME
