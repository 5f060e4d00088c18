"""Prepared names: parsed, transliterated and keyed once, compared many times.

Owns `PartForms` (every spelling of one name part, interned so that equal parts
share one object and one cache slot) and `PreparedName` (the parts of one name
with their roles and weights).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jellyfish
from anyascii import anyascii

from granica.errors import EmptyNameError, GranicaError, ValidationError
from granica.names.equivalents import read_table
from granica.names.params import MAX_PART_CHARS, MAX_PARTS, PARAMS
from granica.names.parse import (
    INITIAL,
    NUMBER,
    PARTICLE,
    PATRONYMIC,
    ParsedName,
    Part,
    canonical_word,
    parse,
)
from granica.names.romanise import canon, skeleton
from granica.names.script import ARABIC, CJK, HEBREW, char_script
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
DEVOTIONAL_CANONS = frozenset(
    canon(w) for w in ["muhammad", "mohammed", "mohammad", "mohamed", "muhammed", "mohamad", "mhmd"]
)


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
    devotional: bool  # MUHAMMAD, often a first name before the one used
    skel_keys: tuple[str, ...]  # blocking keys from the skeletons ("s:mhmd")
    canon_keys: tuple[str, ...]  # blocking keys from the canon spellings ("c:mahamad")
    head: str  # first sound of the preferred spelling, in skeleton classes
    skel: str  # skeleton of the preferred spelling
    equivalents: frozenset[int]  # lines of the given-name equivalents table it is on


@dataclass(frozen=True, slots=True)
class PreparedPart:
    """A name part in a name: its spellings, role and weight."""

    text: str
    role: str
    forms: PartForms
    weight: float
    truncatable: bool


# Bit flags of a part's role, for the comparison's fast path.
F_INITIAL = 1
F_NUMBER = 2
F_PATRONYMIC = 4
F_TRUNCATABLE = 8
F_PARTICLE = 16
_ROLE_FLAGS = {INITIAL: F_INITIAL, NUMBER: F_NUMBER, PATRONYMIC: F_PATRONYMIC, PARTICLE: F_PARTICLE}


class PreparedName:
    """A name ready for comparison: its parts with their spellings, roles and
    weights, and what the comparison needs precomputed. Immutable by contract;
    safe to share between threads and to cache."""

    __slots__ = (
        "alternatives",
        "family_last",
        "flags",
        "form",
        "forms",
        "ignored",
        "keys",
        "korean",
        "lead",
        "nasab",
        "original",
        "overflow",
        "parts",
        "sketch",
        "sort_key",
        "weights",
    )  # fmt: skip

    def __init__(
        self,
        original: str,
        parts: tuple[PreparedPart, ...],
        form: str,
        nasab: bool,
        ignored: tuple[str, ...],
        overflow: bool,
        alternatives: tuple[PreparedName, ...] = (),
        family_last: bool = False,
        korean: bool = False,
    ) -> None:
        self.original = original
        self.parts = parts
        self.form = form
        self.nasab = nasab
        # A family name after the BIN/IBN chain, last (see ParsedName.family_last).
        self.family_last = family_last
        # Read as a romanised Korean name (reads_korean): syllables in a fixed order.
        self.korean = korean
        self.ignored = ignored
        self.overflow = overflow  # more parts than MAX_PARTS: the rest were ignored
        # Other names written in the same string: "A; B" or "A (B)", as lists do.
        self.alternatives = alternatives
        self.forms = tuple(p.forms for p in parts)
        self.weights = tuple(p.weight for p in parts)
        self.flags = tuple(
            _ROLE_FLAGS.get(p.role, 0) | (F_TRUNCATABLE if p.truncatable else 0) for p in parts
        )
        self.sort_key = tuple(f.primary for f in self.forms) + (original,)
        self.lead = lead_index(parts, range(len(parts)))
        self.keys: frozenset[str] | None = None  # blocking keys, filled on first use
        # The skeletons in sorted order: a cheap string for ranking candidates.
        self.sketch = " ".join(
            sorted(f.skel for f, g in zip(self.forms, self.flags) if not g & F_PARTICLE)
        )

    def variants(self) -> tuple[PreparedName, ...]:
        """This name and its alternatives."""
        return (self, *self.alternatives)

    def __repr__(self) -> str:
        return f"PreparedName({self.original!r}, parts={[p.text for p in self.parts]})"


def lead_index(parts: tuple[PreparedPart, ...], order: Any) -> int | None:
    """The first given name: the first part that is not a particle, a number,
    the weak head of a compound (ABD of Abd al-Qadir) or a devotional MUHAMMAD
    before another given name (Muhammad Arif Qasmani goes by Arif Qasmani)."""
    fallback = None
    seen = 0
    for k in order:
        part = parts[k]
        if part.role in (PARTICLE, NUMBER):
            continue
        seen += 1
        if part.forms.weak or (seen == 1 and part.forms.devotional):
            fallback = int(k) if fallback is None else fallback
            continue
        return int(k)
    return fallback


_lock = threading.Lock()
_interned: dict[str, PartForms] = {}
_uids = itertools.count(1)
_KOREAN_KEY = "\x1fko\x1f"


def part_forms(word: str, korean: bool = False) -> PartForms:
    """The interned spellings of one word (cached for the life of the process);
    `korean` when the word is a syllable of a name read as Korean."""
    key = _KOREAN_KEY + word if korean else word
    found = _interned.get(key)
    if found is not None:
        return found
    with _lock:
        found = _interned.get(key)
        if found is None:
            if len(_interned) > 2_000_000:
                _interned.clear()  # bound memory on adversarial streams
            found = _make_forms(word, next(_uids), korean)
            _interned[key] = found
    return found


# Korean names romanised: McCune-Reischauer (the UN and DPRK lists) writes a
# plain consonant at the start of a syllable voiceless (CHANG, PAK, KIM, TONG),
# Revised Romanisation and many aliases voiced (Jang, Bak, Gim, Dong); one
# syllable is one word or a hyphenated piece. A name is read as Korean when all
# its words are such syllables and a Korean family name comes first (two or more
# syllables) or last (three or more).
_KOREAN_SYLLABLE = re.compile(
    r"(?:kk|tt|pp|ss|jj|tch|ch|sh|[kgndtrlmbpsjh])?[yw]?"
    r"(?:ae|eo|eu|oe|ui|oo|[aeiou])(?:ng|[nmlkpt])?"
)
_KOREAN_FAMILY_NAMES = """
kim gim ri rhee lee yi pak park bak choe choi chwe jong chong jung chung kang gang
cho jo yun yoon jang chang han o oh ko go hyon hyun son sohn ku koo gu ju chu ryu yu
yoo sin shin hwang kwon gwon jon chon jeon chun an ahn pae bae paek baek ro no noh
nam mun moon ryang yang hong so suh seo song sim shim om eom won yom yeom kye
"""
_KOREAN_FAMILY = frozenset(_KOREAN_FAMILY_NAMES.split())
_KOREAN_PLAIN = (
    ("tch", "j"), ("jj", "j"), ("ch", "j"), ("kk", "g"), ("k", "g"), ("tt", "d"),
    ("t", "d"), ("pp", "b"), ("p", "b"), ("ss", "s"), ("sh", "s"), ("l", "r"),
)  # fmt: skip


def reads_korean(words: list[str]) -> bool:
    """Whether a name's words read as a romanised Korean name (see above)."""
    low = ["".join(ch for ch in w.lower() if ch.isalpha()) for w in words]
    if len(low) < 2 or not all(w.isascii() and _KOREAN_SYLLABLE.fullmatch(w) for w in low):
        return False
    return low[0] in _KOREAN_FAMILY or (len(low) >= 3 and low[-1] in _KOREAN_FAMILY)


def _korean_plain(syllable: str) -> str:
    """The syllable with its first consonant written as RR writes it (CH -> J, P -> B)."""
    for written, plain in _KOREAN_PLAIN:
        if syllable.startswith(written):
            return plain + syllable[len(written) :]
    return syllable


def _strip_article(s: str) -> str | None:
    # "alzahrani", "elkhairy", Arabic "al..." read as "al": the article fused on.
    if len(s) >= 6 and s[:2] in ("al", "el") and s[2] not in "aeiou" and s[2] != s[3:4]:
        return s[2:]
    if len(s) >= 6 and s[:2] in ("al", "el") and s[2] == s[3:4]:
        return s[3:]  # assimilated: "ash-shami" fused as "ashshami"
    return None


def _ascii_forms(word: str) -> list[str]:
    """Every ASCII spelling of one word, the preferred one first."""
    fixed = canonical_word(word)
    readings = [fixed] if fixed else list(latin_readings(word.lower()))
    forms: list[str] = []
    for reading in readings:
        for variant in ascii_variants(reading):
            variant = "".join(ch for ch in variant if ch.isalnum())
            if variant:
                forms.append(variant)
                stripped = _strip_article(variant)
                if stripped:
                    forms.append(stripped)
    for f in list(forms):
        # An ASCII DJ may be a folded D-stroke, which the MRZ also writes as D
        # (Djordje / DORDE / Đorđe).
        if "dj" in f:
            forms.append(f.replace("dj", "d"))
    if not forms:
        # A script without a table of Granica's own. Alphabets and abugidas
        # (Devanagari, Bengali, Khmer, Myanmar ...): anyascii's romanisation, and
        # the word as written. Han, kana and Hangul are compared as written: one
        # syllable of a name written as one word is another name (习近朋 / 习近平),
        # and their romanisations collide (高石 / 高市: gaoshi).
        romanised = ""
        if all(char_script(ch) != CJK for ch in word):
            romanised = "".join(ch for ch in anyascii(word).lower() if ch.isalnum())
        forms = [romanised, word.lower()] if romanised else [word.lower()]
    return list(dict.fromkeys(forms))


_NO_GROUPS: frozenset[int] = frozenset()
_groups_by_form: dict[str, frozenset[int]] = {}
_equivalents_lock = threading.Lock()


def equivalent_groups(forms: Iterable[str]) -> frozenset[int]:
    """The lines of the given-name equivalents table that one of these spellings is on."""
    table = _groups_by_form or _read_equivalents()
    found: frozenset[int] = _NO_GROUPS
    for form in forms:
        groups = table.get(form)
        if groups:
            found = found | groups
    return found


def _read_equivalents() -> dict[str, frozenset[int]]:
    with _equivalents_lock:
        if not _groups_by_form:
            by_form: dict[str, set[int]] = {}
            for name in read_table():
                for written in name.forms:
                    for form in _ascii_forms(written):
                        by_form.setdefault(form, set()).add(name.line)
            _groups_by_form.update((form, frozenset(lines)) for form, lines in by_form.items())
    return _groups_by_form


def _make_forms(word: str, uid: int, korean: bool = False) -> PartForms:
    word = word[:MAX_PART_CHARS]
    vowelless = any(char_script(ch) in (ARABIC, HEBREW) for ch in word)
    forms = _ascii_forms(word)
    spellings = list(forms)
    for f in forms:
        # A final H after a vowel: TA MARBUTA (Hamzah/Hamza) or a real HA (Salih).
        if len(f) > 3 and f[-1] == "h" and f[-2] in "aeiou":
            spellings.append(f[:-1])
        # TH of Arabic THA is read S in Persian, Urdu and Turkish (Harith / Haris,
        # Uthman / Usman, Tharwat / Sarwat).
        if not vowelless and "th" in f:
            spellings.append(f.replace("th", "s"))
    if korean:
        spellings.extend(_korean_plain(f) for f in forms)
    digraphs = not vowelless
    canons = list(dict.fromkeys(c for c in (canon(f, digraphs) for f in spellings) if c)) or forms
    skels = [s for s in (skeleton(c) for c in canons) if s]
    if not vowelless:
        # TH, KH, SH, ZH may be two Arabic letters (Fethi = F-T-H-Y, Azhar = A-Z-H-R):
        # skeletons of the letter-by-letter spelling too.
        skels.extend(s for s in (skeleton(canon(f, False)) for f in spellings) if s)
    skels = list(dict.fromkeys(skels)) or canons
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
        devotional=any(c in DEVOTIONAL_CANONS for c in canons),
        skel_keys=tuple(sorted(f"s:{k}" for k in skels)),
        canon_keys=tuple(sorted(f"c:{k}" for k in canons)),
        head=skels[0][:1],
        skel=skels[0],
        equivalents=equivalent_groups(forms),
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
    try:
        return _prepare(name)
    except GranicaError:
        raise
    except Exception as exc:  # the contract: nothing but domain errors escapes
        raise ValidationError(
            f"the name {name[:40]!r} could not be read: {exc}", field="name"
        ) from exc


def _prepare(name: str) -> PreparedName:
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
        tuple(prepared[1:]), first.family_last, first.korean,
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
    korean = reads_korean([part.text for part in parts if part.role != PARTICLE])
    prepared: list[PreparedPart] = []
    for part in parts[:MAX_PARTS]:
        forms = part_forms(part.text, korean)
        prepared.append(
            PreparedPart(part.text, part.role, forms, _weight(part, forms), part.truncatable)
        )
    return PreparedName(
        name, tuple(prepared), parsed.form, parsed.nasab, ignored, overflow, (),
        parsed.family_last and not overflow, korean,
    )  # fmt: skip
