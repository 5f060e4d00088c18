"""Prepared names: parsed, transliterated and keyed once, compared many times.

Owns `PartForms` (every spelling of one name part, interned so that equal parts
share one object and one cache slot) and `PreparedName` (the parts of one name
with their roles and weights).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass

import jellyfish

from granica.errors import EmptyNameError
from granica.names.params import MAX_PART_CHARS, MAX_PARTS, PARAMS
from granica.names.parse import (
    INITIAL,
    NUMBER,
    PARTICLE,
    ParsedName,
    Part,
    canonical_word,
    parse,
)
from granica.names.romanise import canon, skeleton
from granica.names.script import ARABIC, HEBREW, char_script
from granica.names.translit import ascii_variants, latin_readings

# Very frequent name parts: a match on them is weaker evidence. Spelled in any
# romanisation; compared on their canon keys.
_COMMON = """
muhammad mohammed mohammad mohamed muhammed mohamad mohd mahmud mahmoud ahmad ahmed
ali hasan hassan husayn hussein hussain omar umar khalid ibrahim ismail yusuf
abdul rahman rahim karim aziz salim saleh salah said saeed jamal nasser khan shah
gul jan mir agha akhund haji kim lee li ri yi pak park choe choi jo cho ju jong chol
kang han song wang zhang chen liu nguyen tran le singh kumar john james maria jose
juan ivan aleksandr alexander sergey vladimir ivanov petrov smith muller
jovanovic petrovic nikolic markovic djordjevic
"""
_WEAK = "abd allah din abu um umm bibi"

COMMON_CANONS = frozenset(canon(w) for w in _COMMON.split())
WEAK_CANONS = frozenset(canon(w) for w in _WEAK.split())


@dataclass(frozen=True, slots=True, eq=False)
class PartForms:
    """Every spelling of one name part. Interned: equal words share one object."""

    uid: int
    word: str
    primary: str  # preferred ASCII spelling
    forms: frozenset[str]  # all ASCII spellings (ICAO variants, readings)
    canons: frozenset[str]  # romanisation-neutral keys
    skels: frozenset[str]  # consonant skeletons
    metaphone: str
    vowelless: bool  # written in a script without short vowels
    common: bool
    weak: bool


@dataclass(frozen=True, slots=True)
class PreparedPart:
    """A name part in a name: its spellings, role and weight."""

    text: str
    role: str
    forms: PartForms
    weight: float
    truncatable: bool


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name ready for comparison. Immutable; safe to share between threads."""

    original: str
    parts: tuple[PreparedPart, ...]
    form: str
    nasab: bool
    ignored: tuple[str, ...]
    overflow: bool  # more parts than MAX_PARTS: the rest were ignored
    # Other names written in the same string: "A; B" or "A (B)", as lists do.
    alternatives: tuple[PreparedName, ...] = ()

    def variants(self) -> tuple[PreparedName, ...]:
        """This name and its alternatives."""
        return (self, *self.alternatives)

    @property
    def sort_key(self) -> tuple[str, ...]:
        return tuple(p.forms.primary for p in self.parts) + (self.original,)


_lock = threading.Lock()
_interned: dict[str, PartForms] = {}
_uids = itertools.count(1)


def part_forms(word: str) -> PartForms:
    """The interned spellings of one word (cached for the life of the process)."""
    found = _interned.get(word)
    if found is not None:
        return found
    with _lock:
        found = _interned.get(word)
        if found is None:
            if len(_interned) > 2_000_000:
                _interned.clear()  # bound memory on adversarial streams
            found = _make_forms(word, next(_uids))
            _interned[word] = found
    return found


def _strip_article(s: str, vowelless: bool) -> str | None:
    # "alzahrani", "elkhairy", Arabic "al..." read as "al": the article fused on.
    if len(s) >= 6 and s[:2] in ("al", "el") and s[2] not in "aeiou" and s[2] != s[3:4]:
        return s[2:]
    if len(s) >= 6 and s[:2] in ("al", "el") and s[2] == s[3:4]:
        return s[3:]  # assimilated: "ash-shami" fused as "ashshami"
    return None


def _make_forms(word: str, uid: int) -> PartForms:
    word = word[:MAX_PART_CHARS]
    fixed = canonical_word(word)
    vowelless = any(char_script(ch) in (ARABIC, HEBREW) for ch in word)
    readings = [fixed] if fixed else list(latin_readings(word.lower()))
    forms: list[str] = []
    for reading in readings:
        for variant in ascii_variants(reading):
            variant = "".join(ch for ch in variant if ch.isalnum())
            if variant:
                forms.append(variant)
                stripped = _strip_article(variant, vowelless)
                if stripped:
                    forms.append(stripped)
    if not forms:
        # A script without a table (CJK, Devanagari ...): compared as written.
        forms = [word.lower()]
    forms = list(dict.fromkeys(forms))
    spellings = list(forms)
    for f in forms:
        # A final H after a vowel: TA MARBUTA (Hamzah/Hamza) or a real HA (Salih).
        if len(f) > 3 and f[-1] == "h" and f[-2] in "aeiou":
            spellings.append(f[:-1])
    canons = list(dict.fromkeys(c for c in (canon(f) for f in spellings) if c)) or forms
    skels = [s for s in (skeleton(c) for c in canons) if s] or canons
    primary = forms[0]
    return PartForms(
        uid=uid,
        word=word,
        primary=primary,
        forms=frozenset(forms),
        canons=frozenset(canons),
        skels=frozenset(skels),
        metaphone=jellyfish.metaphone(primary) if primary.isascii() and len(primary) > 3 else "",
        vowelless=vowelless,
        common=any(c in COMMON_CANONS for c in canons),
        weak=any(c in WEAK_CANONS for c in canons),
    )


def _weight(part: Part, forms: PartForms) -> float:
    if part.role == PARTICLE:
        return PARAMS.weight_particle
    if part.role == INITIAL:
        return PARAMS.weight_initial
    if part.role == NUMBER:
        return PARAMS.weight_number
    if forms.weak:
        return PARAMS.weight_weak
    if forms.common:
        return PARAMS.weight_common
    return 1.0


_BRACKETS = re.compile(r"\(([^)]*)\)?|\[([^\]]*)\]?")


def split_alternatives(name: str) -> list[str]:
    """The names in one string: "Hassan Ghul; Hassan Gul" and "حسن غول (Hassan Ghul)"
    hold several (lists write aliases that way)."""
    if ";" not in name and "(" not in name and "[" not in name:
        return [name]
    inner = [m.group(1) or m.group(2) or "" for m in _BRACKETS.finditer(name)]
    main = _BRACKETS.sub(" ", name)
    segments = main.split(";") + [seg for text in inner for seg in text.split(";")]
    return [seg.strip() for seg in segments if seg.strip()] or [name]


def prepare(name: str) -> PreparedName:
    """Parse and normalise a name once, to compare it with many others.

    Raises granica.errors.EmptyNameError when nothing is left to compare (empty,
    whitespace or punctuation only); every other string gives a PreparedName.
    """
    if not isinstance(name, str):
        raise EmptyNameError("a name must be a string", field="name")
    segments = split_alternatives(name)
    if len(segments) == 1:
        return _prepare_one(name)
    prepared: list[PreparedName] = []
    for segment in segments[:MAX_PARTS]:
        try:
            prepared.append(_prepare_one(segment))
        except EmptyNameError:
            continue
    if not prepared:
        return _prepare_one(name)
    first = prepared[0]
    return PreparedName(
        name, first.parts, first.form, first.nasab, first.ignored, first.overflow,
        tuple(prepared[1:]),
    )  # fmt: skip


def _prepare_one(name: str) -> PreparedName:
    parsed: ParsedName = parse(name)
    parts = list(parsed.parts)
    ignored = parsed.ignored
    if not parts and ignored:
        # Only a title ("Dr.", "Sheikh"): compare the title itself.
        parts = [Part(word, "unknown") for word in ignored]
        ignored = ()
    if not parts:
        raise EmptyNameError(
            f"the name {name[:40]!r} has nothing to compare (no letters or digits)",
            field="name",
        )
    overflow = len(parts) > MAX_PARTS
    prepared: list[PreparedPart] = []
    for part in parts[:MAX_PARTS]:
        forms = part_forms(part.text)
        prepared.append(
            PreparedPart(part.text, part.role, forms, _weight(part, forms), part.truncatable)
        )
    return PreparedName(name, tuple(prepared), parsed.form, parsed.nasab, ignored, overflow)
