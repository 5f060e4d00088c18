"""Names in MRZ form: ICAO Doc 9303 Part 3 transliteration (Latin, Serbian Cyrillic) and the name field.

An MRZ holds only A-Z and `<`. A name written with diacritics or in Cyrillic can reach the MRZ in
several ways (ICAO's table, the issuing state's own habit, an older edition), so for matching we
produce every plausible MRZ spelling, not just one.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

from granica.errors import EmptyNameError, ValidationError

# Characters that ICAO writes with more than one letter, or differently from plain diacritic
# stripping. The first spelling is ICAO's recommended one; the others are alternatives Part 3 allows
# or that states use in practice (e.g. DJ for Đ in Serbia and Croatia). Upper case only: input is
# upper-cased first.
_LATIN_VARIANTS: dict[str, tuple[str, ...]] = {
    "Ä": ("AE", "A"),
    "Ö": ("OE", "O"),
    "Ü": ("UE", "UXX", "U"),
    "Å": ("AA", "A"),
    "Æ": ("AE",),
    "Ø": ("OE", "O"),
    "Œ": ("OE",),
    "ẞ": ("SS",),
    "ß": ("SS",),
    "Þ": ("TH",),
    "Ð": ("D",),
    "Ñ": ("N", "NXX"),
    "Đ": ("D", "DJ"),
    "Ł": ("L",),
    "Ħ": ("H",),
    "Ŀ": ("L",),
    "Ĳ": ("IJ",),
    "ı": ("I",),
    # Serbian/Croatian Latin letters with their usual international spellings as variants.
    "Ž": ("Z", "ZH"),
    "Č": ("C", "CH"),
    "Ć": ("C", "CH"),
    "Š": ("S", "SH"),
}

# Serbian Cyrillic: the first spelling follows the Serbian Latin alphabet with diacritics stripped
# (domain.md §5, ICAO's Serbian entries); the others are ICAO's general Cyrillic table (ZH, CH, SH,
# TS, KH) and the DJ habit for Ђ, so a name entered in Cyrillic matches either style of passport.
_CYRILLIC_VARIANTS: dict[str, tuple[str, ...]] = {
    "А": ("A",),
    "Б": ("B",),
    "В": ("V",),
    # ICAO's table prints Г as H (an erratum from the Ukrainian column); Serbian use is G.
    "Г": ("G", "H"),
    "Д": ("D",),
    "Ђ": ("D", "DJ"),
    "Е": ("E",),
    "Ж": ("Z", "ZH"),
    "З": ("Z",),
    "И": ("I",),
    "Ј": ("J",),
    "К": ("K",),
    "Л": ("L",),
    "Љ": ("LJ",),
    "М": ("M",),
    "Н": ("N",),
    "Њ": ("NJ",),
    "О": ("O",),
    "П": ("P",),
    "Р": ("R",),
    "С": ("S",),
    "Т": ("T",),
    # Ћ is missing from ICAO's table; Gaj's Ć, stripped, gives C.
    "Ћ": ("C", "CH"),
    "У": ("U",),
    "Ф": ("F",),
    "Х": ("H", "KH"),
    "Ц": ("C", "TS"),
    "Ч": ("C", "CH"),
    "Џ": ("DZ", "DZH"),
    "Ш": ("S", "SH"),
    # Letters of other Cyrillic alphabets, ICAO Part 3 spellings, so foreign names also pass.
    "Й": ("I",),
    "Щ": ("SHCH",),
    "Ъ": ("IE",),
    "Ы": ("Y",),
    "Ь": ("",),
    "Э": ("E",),
    "Ю": ("IU",),
    "Я": ("IA",),
    "Ё": ("E",),
    "Є": ("IE",),
    "І": ("I",),
    "Ї": ("I",),
    "Ґ": ("G",),
    "Ѓ": ("G",),
    "Ќ": ("K",),
    "Ѕ": ("DZ",),
}

_VARIANTS: dict[str, tuple[str, ...]] = {**_LATIN_VARIANTS, **_CYRILLIC_VARIANTS}

# Separators become a filler; apostrophes vanish without one (Part 3: O'NEILL -> ONEILL).
_SEPARATORS = re.compile(r"[\s\-‐‑–—,.]+")
_APOSTROPHES = re.compile(r"['’`ʼ‘]")
_FILLERS = re.compile(r"<+")
_MAX_VARIANTS = 64


def _strip_diacritics(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _char_options(char: str) -> tuple[str, ...]:
    if "A" <= char <= "Z" or char == "<":
        return (char,)
    if char in _VARIANTS:
        return _VARIANTS[char]
    base = _strip_diacritics(char)
    if len(base) == 1 and "A" <= base <= "Z":
        return (base,)
    if base in _VARIANTS:
        return _VARIANTS[base]
    # Digits and any other symbol are dropped: an MRZ name holds letters only.
    return ("",)


def _prepare(name: str) -> str:
    text = unicodedata.normalize("NFC", name).upper()
    text = _APOSTROPHES.sub("", text)
    return _SEPARATORS.sub("<", text.strip())


def transliteration_variants(name: str) -> list[str]:
    """Every MRZ spelling of `name` (components joined by `<`), ICAO's recommended one first.

    `name` may be in Latin with diacritics or in Cyrillic. Raises EmptyNameError when nothing
    of the name survives (only digits or punctuation).
    """
    text = _prepare(name)
    options = [_char_options(c) for c in text]
    results: list[str] = []
    seen: set[str] = set()
    for combo in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        value = _FILLERS.sub("<", "".join(combo)).strip("<")
        if value and value not in seen:
            seen.add(value)
            results.append(value)
    if not results:
        raise EmptyNameError(
            f"name {name!r} has no letters that can be written in an MRZ", field="name"
        )
    return results


def transliterate(name: str) -> str:
    """ICAO's recommended MRZ spelling of one name (components joined by `<`)."""
    return transliteration_variants(name)[0]


def name_field(surname: str, given_names: str, width: int) -> tuple[str, bool]:
    """The MRZ name field of `width` characters and whether it had to be truncated.

    Primary and secondary identifiers are separated by `<<`; a name that does not fit is cut and
    made to end with a letter (Part 3), so the last component may be shortened.
    """
    primary = transliterate(surname) if surname.strip() else ""
    secondary = transliterate(given_names) if given_names.strip() else ""
    if not primary and not secondary:
        raise EmptyNameError("both surname and given names are empty", field="surname")
    text = primary + ("<<" + secondary if secondary else "")
    truncated = len(text) > width
    if truncated:
        text = text[:width].rstrip("<")
    return text.ljust(width, "<"), truncated


def split_name_field(field: str) -> tuple[str, str]:
    """Surname and given names of an MRZ name field, fillers turned into spaces."""
    primary, sep, secondary = field.partition("<<")
    surname = primary.replace("<", " ").strip()
    given = secondary.replace("<", " ").strip() if sep else ""
    return surname, given


def mrz_name_variants(surname: str, given_names: str = "") -> list[str]:
    """Every `SURNAME<<GIVEN<NAMES` spelling of a person's name, for matching MRZ names against alerts."""
    if not surname.strip() and not given_names.strip():
        raise EmptyNameError("both surname and given names are empty", field="surname")
    primaries = transliteration_variants(surname) if surname.strip() else [""]
    secondaries = transliteration_variants(given_names) if given_names.strip() else [""]
    out: list[str] = []
    for p, s in itertools.product(primaries, secondaries):
        out.append(p + ("<<" + s if s else ""))
    return out


def validate_mrz_text(value: str, field: str, allowed: Iterable[str] = ()) -> None:
    """Raise ValidationError if `value` holds anything an MRZ field cannot."""
    extra = set(allowed)
    for i, c in enumerate(value):
        if not ("A" <= c <= "Z" or "0" <= c <= "9" or c == "<" or c in extra):
            raise ValidationError(
                f"{field}: character {c!r} at position {i + 1} cannot appear in an MRZ "
                "(only A-Z, 0-9 and '<'; transliterate names first)",
                field=field,
            )
