"""Romanisation-equivalence keys: the forms two spellings of one name share.

`canon` folds the spelling differences that romanisation systems disagree on
(SH/Š/CH, KH/H, TH/T, Q/K, doubled letters, the vowels of Arabic short vowels:
Mohammed/Muhammad/Mohamad, Youssef/Yusuf, Hussein/Husayn). `skeleton` keeps the
consonant classes only, for names written in a script without short vowels
(Arabic, Persian, Pashto): محمد and Mohammed meet there.
"""

from __future__ import annotations

import re
from functools import lru_cache

_VOWELS = frozenset("aeiouy")

# Digraphs first (order matters: X before KH, DZH before DJ ...).
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("x", "ks"),
    ("dzh", "j"),
    ("tch", "c"),
    ("sch", "s"),
    ("kh", "x"),
    ("sh", "s"),
    ("zh", "z"),
    ("ch", "c"),
    ("th", "t"),
    ("dh", "d"),
    ("gh", "g"),
    ("ph", "f"),
    ("ck", "k"),
    ("dj", "j"),
    ("ts", "c"),
    ("tz", "z"),
    ("q", "k"),
)
_DIGRAPH_RE = re.compile("|".join(re.escape(a) for a, _ in _DIGRAPHS))
_DIGRAPH_MAP = dict(_DIGRAPHS)
_NON_ALPHA = re.compile(r"[^a-z]")


@lru_cache(maxsize=262144)
def canon(ascii_word: str, digraphs: bool = True) -> str:
    """The romanisation-neutral spelling of an ASCII lower-case word.

    Vowel runs become one `a` (or `ay` for a diphthong ending in I/Y), so that
    only the consonants and the syllable count decide; Y before a vowel at the
    start of a word stays a consonant (Yusuf); EE is a long I (Saeed/Said).
    `digraphs=False` for consonantal readings of Arabic script, where Z+H are
    two letters, not ZH. (A final H after a vowel may be a
    TA MARBUTA or a real HA: callers add the spelling without it as a variant.)
    """
    word = _NON_ALPHA.sub("", ascii_word)
    if not word:
        return ""
    if digraphs:
        word = _DIGRAPH_RE.sub(lambda m: _DIGRAPH_MAP[m.group(0)], word)
    else:
        word = word.replace("q", "k")
    word = word.replace("ee", "i")
    out: list[str] = []
    i = 0
    n = len(word)
    while i < n:
        ch = word[i]
        if ch in _VOWELS and not (ch == "y" and i == 0 and n > 1 and word[1] in _VOWELS):
            j = i
            while j < n and word[j] in _VOWELS:
                j += 1
            run = word[i:j]
            if len(run) >= 2 and run[-1] in "iy" and run[0] in "aeo":
                out.append("ay")
            else:
                out.append("a")
            i = j
            continue
        if not out or out[-1] != ch:
            out.append(ch)
        i += 1
    return "".join(out)


# Consonant classes for the skeleton: letters that the romanisations of one
# Arabic letter spread over are merged (D/Z for DAD, DHAL, ZA; J/G for JIM; S/C for
# SHIN in French "ch"; KH/H; F/V).
_SKELETON_CLASS = str.maketrans({"p": "b", "z": "d", "g": "j", "c": "s", "x": "h", "v": "f"})
# At the start of a word W is a consonant, read V in Persian (Vali / Wali / ولی).
_HEAD_CLASS = str.maketrans({"p": "b", "z": "d", "g": "j", "c": "s", "x": "h", "v": "f", "w": "f"})


@lru_cache(maxsize=262144)
def skeleton(canon_word: str) -> str:
    """Consonant skeleton of a canon word: first sound kept (a vowel as `a`),
    later vowels, W and Y dropped, consonants merged into classes."""
    if not canon_word:
        return ""
    head = canon_word[0]
    rest = canon_word[1:]
    if head in _VOWELS:
        head = "a"
    head = head.translate(_HEAD_CLASS)
    body = [c for c in rest.translate(_SKELETON_CLASS) if c not in "aeiouyw'"]
    out = [head]
    for c in body:
        if c != out[-1]:
            out.append(c)
    return "".join(out)
