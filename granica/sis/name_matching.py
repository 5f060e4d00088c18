"""The one place where the alert register meets name matching.

It uses `granica.names` (prepare / compare_prepared / blocking_keys) when that library is
importable and a simple transliterate-and-fold match otherwise, so that search, its API and
its result shape stay the same whichever is behind it. Blocking keys are persisted
(sis_alert_name_key); after the backend changes, `granica alerts reindex` rebuilds them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from granica.errors import EmptyNameError

try:  # the library is built by another engineer; fall back until it lands
    from granica import names as _names  # type: ignore[attr-defined,unused-ignore]

    _names.prepare  # noqa: B018 - make sure it is the real thing, not an empty package
    _names.compare_prepared  # noqa: B018
    _names.blocking_keys  # noqa: B018
    BACKEND = "granica.names"
except (ImportError, AttributeError):
    _names = None  # type: ignore[assignment]
    BACKEND = "fallback"


@dataclass(frozen=True)
class NameScore:
    score: float
    reasons: list[str] = field(default_factory=list)


# --- fallback --------------------------------------------------------------------------------

_CYR = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Ђ": "Đ", "Е": "E", "Ж": "Ž", "З": "Z",
    "И": "I", "Ј": "J", "К": "K", "Л": "L", "Љ": "Lj", "М": "M", "Н": "N", "Њ": "Nj", "О": "O",
    "П": "P", "Р": "R", "С": "S", "Т": "T", "Ћ": "Ć", "У": "U", "Ф": "F", "Х": "H", "Ц": "C",
    "Ч": "Č", "Џ": "Dž", "Ш": "Š", "Й": "J", "Ы": "Y", "Э": "E", "Ю": "Ju", "Я": "Ja",
    "Щ": "Šč", "Ъ": "", "Ь": "", "Ё": "Jo", "Є": "Je", "І": "I", "Ї": "Ji", "Ґ": "G",
    "Ѓ": "Gj", "Ќ": "Kj", "Ѕ": "Dz",
}
_CYR.update({k.lower(): v.lower() for k, v in list(_CYR.items())})
_FOLD = {"Đ": "DJ", "đ": "dj", "Ł": "L", "ł": "l", "ß": "ss", "Æ": "AE", "æ": "ae",
         "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th", "ı": "i"}
_NON_LETTERS = re.compile(r"[^A-Z ]+")


def _fallback_latin(name: str) -> str:
    return "".join(_CYR.get(ch, ch) for ch in name)


def _fold(name: str) -> str:
    text = "".join(_FOLD.get(ch, ch) for ch in _fallback_latin(name))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    text = _NON_LETTERS.sub(" ", text.replace("-", " ").replace("'", ""))
    return " ".join(text.split())


def _skeleton(token: str) -> str:
    """A crude phonetic key: spelling variants of one sound, no vowels after the first letter."""
    t = token
    for a, b in (("DJ", "J"), ("DZ", "J"), ("TCH", "C"), ("CH", "C"), ("TS", "C"), ("SH", "S"),
                 ("ZH", "Z"), ("KS", "X"), ("PH", "F"), ("W", "V"), ("Y", "I"), ("Q", "K")):
        t = t.replace(a, b)
    head, rest = t[:1], re.sub(r"[AEIOU]", "", t[1:])
    out = head
    for ch in rest:
        if not out.endswith(ch):
            out += ch
    return out[:8]


@dataclass(frozen=True)
class _FallbackPrepared:
    original: str
    folded: str
    tokens: tuple[str, ...]


def _fallback_prepare(name: str) -> _FallbackPrepared:
    folded = _fold(name)
    if not folded:
        raise EmptyNameError(f"the name '{name}' has no letters to compare", field="name")
    return _FallbackPrepared(name, folded, tuple(sorted(folded.split())))


def _fallback_compare(p: _FallbackPrepared, q: _FallbackPrepared) -> NameScore:
    from rapidfuzz import fuzz

    if p.tokens == q.tokens:
        how = "exact" if p.original.strip() == q.original.strip() else "same after transliteration"
        return NameScore(1.0, [f"name {how}: '{q.original}'"])
    ratio = fuzz.token_sort_ratio(" ".join(p.tokens), " ".join(q.tokens)) / 100.0
    return NameScore(round(ratio, 3), [f"name similar ({ratio:.2f}): '{q.original}'"])


def _fallback_keys(name: str) -> set[str]:
    keys: set[str] = set()
    for token in _fold(name).split():
        if len(token) < 2:
            continue
        keys.add("t:" + token[:24])
        keys.add("p:" + _skeleton(token))
    return keys


# --- the adapter's interface -----------------------------------------------------------------

@lru_cache(maxsize=200_000)
def prepare(name: str) -> Any:
    """Prepare a name once to compare it with many (raises EmptyNameError).

    Cached: names repeat a lot in a register (the same candidates come back query after
    query), and preparing is the expensive half of a comparison.
    """
    if _names is not None:
        return _names.prepare(name)
    return _fallback_prepare(name)


def _reason(r: Any) -> str:
    if isinstance(r, dict) and "a" in r and "b" in r:
        return f"name part '{r['a']}' ~ '{r['b']}': {r.get('how', 'similar')} ({float(r.get('score', 0)):.2f})"
    return str(r)


def compare(p: Any, q: Any) -> NameScore:
    """Score two prepared names in 0..1 with the reasons, whatever the backend."""
    if _names is not None:
        result = _names.compare_prepared(p, q)
        reasons = [_reason(r) for r in (getattr(result, "reasons", None) or [])]
        return NameScore(max(0.0, min(1.0, float(result.score))), reasons)
    return _fallback_compare(p, q)


def score(p: Any, q: Any) -> float:
    """Only the score, no reasons: the fast path for ranking many candidates."""
    if _names is not None and hasattr(_names, "score_prepared"):
        return max(0.0, min(1.0, float(_names.score_prepared(p, q))))
    return compare(p, q).score


@lru_cache(maxsize=200_000)
def _keys(name: str) -> frozenset[str]:
    if _names is not None:
        try:
            return frozenset(k[:64] for k in _names.blocking_keys(name))
        except EmptyNameError:
            return frozenset()
    return frozenset(_fallback_keys(name))


def blocking_keys(name: str) -> set[str]:
    """Short keys under which a name is indexed; two spellings of a name share at least one."""
    return set(_keys(name))


def to_latin(name: str) -> str:
    if _names is not None and hasattr(_names, "to_latin"):
        return str(_names.to_latin(name))
    return _fallback_latin(name)
