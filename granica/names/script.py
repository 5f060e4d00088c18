"""Script detection and Unicode clean-up for person names.

Owns the first step of every name comparison: what writing system a string is
in, and the clean-up (NFKC, control characters, marks) applied before anything else.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Scripts Granica transliterates; anything else is kept as written (and can still
# match itself exactly).
LATIN = "latin"
CYRILLIC = "cyrillic"
GREEK = "greek"
ARABIC = "arabic"
ARMENIAN = "armenian"
GEORGIAN = "georgian"
HEBREW = "hebrew"
CJK = "cjk"
OTHER = "other"
MIXED = "mixed"
NONE = "none"

_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, LATIN),
    (0x1E00, 0x1EFF, LATIN),
    (0x0370, 0x03FF, GREEK),
    (0x1F00, 0x1FFF, GREEK),
    (0x0400, 0x052F, CYRILLIC),
    (0x0531, 0x058F, ARMENIAN),
    (0x0590, 0x05FF, HEBREW),
    (0x0600, 0x06FF, ARABIC),
    (0x0750, 0x077F, ARABIC),
    (0x08A0, 0x08FF, ARABIC),
    (0xFB50, 0xFDFF, ARABIC),
    (0xFE70, 0xFEFF, ARABIC),
    (0x10A0, 0x10FF, GEORGIAN),
    (0x1C90, 0x1CBF, GEORGIAN),
    (0x3040, 0x30FF, CJK),
    (0x3400, 0x9FFF, CJK),
    (0xAC00, 0xD7AF, CJK),
    (0x1100, 0x11FF, CJK),
)


@lru_cache(maxsize=4096)
def char_script(ch: str) -> str:
    """The script of one letter, or NONE for digits, punctuation, marks and symbols."""
    if not unicodedata.category(ch).startswith("L"):
        return NONE
    cp = ord(ch)
    for lo, hi, name in _RANGES:
        if lo <= cp <= hi:
            return name
    return OTHER


def detect_script(text: str) -> str:
    """Name the writing system of `text`: latin, cyrillic, greek, arabic, armenian,
    georgian, hebrew, cjk, other; `mixed` when letters of several scripts occur;
    `none` when there is no letter at all."""
    seen: set[str] = set()
    for ch in text:
        script = char_script(ch)
        if script != NONE:
            seen.add(script)
    if not seen:
        return NONE
    if len(seen) == 1:
        return seen.pop()
    return MIXED


# Control, format (bidi marks, zero-width), surrogate and private-use characters.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
    "\ud800-\udfff\ue000-\uf8ff\ufff0-\ufffb]"
)
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# Combining marks left after NFKC on Latin, Greek, Cyrillic and Arabic letters:
# stress accents (Влади́мир), Arabic short vowels and shadda. Names are written
# without them, and a word must not be split at them.
_LOOSE_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]"
)


def clean(text: str) -> str:
    """NFKC, with control characters and line breaks turned into spaces, and
    invisible format characters (zero-width joiners, bidi marks) and loose
    combining marks (stress accents, Arabic harakat) dropped."""
    if text.isascii() and text.isprintable():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _BREAKS.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return _LOOSE_MARKS.sub("", text)


def strip_marks(text: str) -> str:
    """Drop combining marks (accents, Arabic harakat, Greek tonos) after NFD."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
