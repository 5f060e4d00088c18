"""The MRZ spelling of a name (ICAO Doc 9303 Part 3 section 6, domain.md section 5)."""

from __future__ import annotations

import re

from granica.errors import EmptyNameError
from granica.names.translit import mrz_fold, to_latin

_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")
_APOSTROPHES = re.compile(r"['’ʼʻ`´]")


def _component(text: str) -> str:
    text = _APOSTROPHES.sub("", to_latin(text))
    words = [mrz_fold(w) for w in _SEPARATORS.split(text)]
    return "<".join(w for w in words if w)


def mrz_name(surname: str, given: str = "", length: int | None = None) -> str:
    """`SURNAME<<GIVEN<NAMES` as printed in an MRZ: A-Z and `<` only, hyphens and
    spaces as `<`, apostrophes dropped, diacritics folded (Đ -> D, Ä -> AE), other
    scripts transliterated first (Ђорђе -> DORDE).

    With `length` (39 for TD3, 31 for TD2, 30 for TD1) the field is padded with
    `<`, or truncated so that it ends with a letter, as Doc 9303 prescribes.
    """
    primary = _component(surname)
    secondary = _component(given)
    if not primary and not secondary:
        raise EmptyNameError("the MRZ name has no letters", field="surname")
    field = f"{primary}<<{secondary}" if secondary else primary
    if length is None:
        return field
    if len(field) <= length:
        return field.ljust(length, "<")
    return field[:length].rstrip("<")
