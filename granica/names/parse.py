"""Structure of a person name: MRZ and "SURNAME, Given" forms, honorifics,
particles, compounds (Abdul-, -ullah, -uddin), initials and patronymics.

Owns the word lists; every list is data a linguist can read and extend.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from granica.names.script import clean
from granica.names.translit import ascii_variants, latin_readings

# Roles of a name part.
GIVEN = "given"
FAMILY = "family"
UNKNOWN = "unknown"
PARTICLE = "particle"
INITIAL = "initial"
PATRONYMIC = "patronymic"
NUMBER = "number"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Titles, ranks and honorifics: ignored (reported in the reasons). Compared on
# the ASCII spelling, so Cyrillic and Greek titles are caught by their reading.
# Hafiz and Qari are left out: they are also given names.
HONORIFICS = _words(
    """
    mr mrs ms miss mx dr doctor prof professor sir dame lord lady rev reverend
    monsieur mme madame mlle mademoiselle herr frau signor senor senora dona
    predsjednik predsednik presidente president prezident presedintele praesident
    prasident presiden prezydent elnok
    excellency fr father sr sister hon judge
    general gen col colonel maj major capt captain lt lieutenant sgt brig brigadier
    admiral adm cmdr commander marshal
    sheikh shaikh shaykh sheik shaik cheikh mullah mulla mollah mullo molla
    maulavi mawlawi maulvi mawlavi molvi moulavi maulana mawlana haji hajji hadji
    alhaj alhajj hajj imam mufti ustadh ustaz ustad emir sayyed sayed syed sayyid
    seyed engineer eng engr jr junior snr senior ii iii iv
    """
)

# The same titles in Arabic script (Sayyid, Sheikh, Hajji, Mullah, Mawlawi, Qari is a name).
ARABIC_HONORIFICS = frozenset(
    ("سيد", "السيد", "شيخ", "الشيخ", "حاج", "الحاج", "حاجي", "حاجى", "ملا", "مولوی", "مولوي",
     "مولانا", "امام", "الامام", "الرئيس", "رئيس", "دكتور", "الدكتور")
)  # fmt: skip

# Nasab particles: "X bin Y" is X son of Y, so the order of the names around them
# is meaningful (father and son are not the same person).
NASAB = _words("bin ibn ben bint binti ould walad wuld bn")

# Arabic articles and their assimilated forms, often attached to the next word:
# dropped (a name with and without "al-" is the same name).
ARTICLES = _words("al el ul ud ad ar as ash at az an ed er es ez un ur us")

# Particles of Western surnames: kept, with little weight.
PARTICLES = _words(
    "van von vom de der den da di do dos das du del della dela la le lo y zu ter ten af av st"
)

# OCR and keyboard look-alikes for digits inside a word ("I9or Sech1n").
_DIGIT_LOOKALIKE = str.maketrans("0123456789", "oizeasgtbg")



def _mark_ranges() -> str:
    """The combining marks of the BMP as a regex class body: the vowel signs and
    viramas of Devanagari, Bengali, Khmer, Myanmar ... are part of a word, but
    Python's \\w does not count them (they split व्लादिमीर into letters)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_WORD_SPLIT = re.compile(r"[^\w'’ʼʻ`´" + _mark_ranges() + r"]+|_")
_APOSTROPHES = re.compile(r"['’ʼʻ`´]")
_MRZ_NAME = re.compile(r"^[A-Z<]+$")
_MRZ_HEADER_LENGTHS = (44, 36, 30)

# Compound Arabic names written as one word.
# abd + vowel + (L, or the first letter of a sun-letter doubling) + rest:
# Abdulaziz, Abdurrahman, Abdurahman, Abdelkader, Abdussalam, Abdallah.
_ABD_PREFIX = re.compile(r"^abd(?:[aeiou](?:l|([b-df-hj-km-np-tv-z])(?=\1))?)?([a-z]{2,})$")
_ALLAH_SUFFIX = re.compile(r"^([a-z]{3,}?)(?:(?:u|a|o)llah|ulla)$")
_DIN_SUFFIX = re.compile(r"^([a-z]{3,}?)(?:ou|u|e|a|o|i)(?:d|l)d(?:i|ee|y)ne?$")
_ALLAH_WORDS = _words("allah alla ullah ulla ollah lah llah la ah allahu")
_DIN_WORDS = _words("din deen dine eddine eddin uddin uddeen addin aldin")
_ABD_WORDS = _words("abd abdul abdel abdal abdol abdu abdoul abdur abdus")
_MUHAMMAD_ABBREVIATIONS = _words("mohd muhd mhd md")
_AR_ABD = "عبد"
_AR_ALLAH = "الله"
_AR_DIN = "الدين"

# Patronymics as the languages of Europe write the Russian -ovich/-ovna
# (-ovitch, -owitsch, -owicz, -ovitj, -ovitsj, -ovics, -ovitx, -ovici), the
# Belarusian -avich, the Icelandic -dóttir and the Turkic -ogly; Arabic script
# writes -ovich as -وفيتش.
# Serbian and Croatian surnames in -ović/-ovič (folded: -ovic) are not included.
_PATRONYMIC_STEM = re.compile(
    r"(?:[oea][vw][iy](?:tch|tsch|tsj|tj|tx|ch|cs|cz|ci)|[oei]vna|ichna|inichna|ogly|oglu|dottir"
    r"|ufitsh?|ufits)$"
)


def patronymic_stem(ascii_word: str) -> str:
    """The father's name in a patronymic: Vladimirovich -> vladimir."""
    return _PATRONYMIC_STEM.sub("", ascii_word)


@dataclass(frozen=True, slots=True)
class Part:
    """One name part as parsed: its text, its role and whether it may be truncated."""

    text: str
    role: str
    truncatable: bool = False


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name split into parts, given names first where the form tells the order."""

    original: str
    parts: tuple[Part, ...]
    form: str  # "mrz", "comma" or "free"
    nasab: bool
    ignored: tuple[str, ...]
    # The last part is a family name or nisba after a BIN/IBN chain (AL-HAMRAOUI
    # of Kamal ben Maoeldi ben Hassan al-Hamraoui), not the chain's last father.
    family_last: bool = False


@lru_cache(maxsize=262144)
def _ascii(word: str) -> str:
    return ascii_variants(latin_readings(word)[0])[-1]


# "SergeiLavrov", "RamiMakhlouf": two names run together, split at the capital
# (only between parts of three letters or more: McDonald, DeVries stay whole).
def _camel_split(word: str) -> list[str]:
    cuts = [0]
    for k in range(3, len(word) - 2):
        if (
            word[k].isupper()
            and word[k - 3 : k].islower()
            and word[k + 1 : k + 3].islower()
            and k - cuts[-1] >= 3
        ):
            cuts.append(k)
    cuts.append(len(word))
    return [word[a:b] for a, b in itertools.pairwise(cuts) if a < b]


def _split_words(text: str) -> list[str]:
    out: list[str] = []
    for raw in _WORD_SPLIT.split(text):
        word = _APOSTROPHES.sub("", raw)
        if not word:
            continue
        if len(word) > 5 and not word[1:].islower() and not word.isupper():
            out.extend(_camel_split(word))
        else:
            out.append(word)
    return out


def _mrz_parts(text: str) -> tuple[list[str], list[str], bool]:
    """Surname and given-name components of an MRZ name field."""
    field = text
    if len(field) in _MRZ_HEADER_LENGTHS and field[:1] in "PIACV" and "<<" in field[5:]:
        field = field[5:]  # a whole first line: document code and issuing state
    truncatable = not field.endswith("<")
    field = field.strip("<")
    surname, _, given = field.partition("<<")
    return (
        [w for w in surname.split("<") if w],
        [w for w in given.split("<") if w],
        truncatable,
    )


def _is_mrz(text: str) -> bool:
    return "<" in text and _MRZ_NAME.match(text) is not None


def split_compound(word: str) -> list[str]:
    """Split Abdul-X, X-ullah and X-uddin written as one word into their parts
    (Abdulrahman -> Abd Rahman, Hidayatullah -> Hidayat Allah); other words
    come back whole."""
    if _AR_ABD in word or word.endswith((_AR_ALLAH, _AR_DIN)):
        return _split_arabic(word)
    low = _ascii(word)
    if not low.isalpha():
        return [word]
    m = _ABD_PREFIX.match(low)
    if m and low not in _ABD_WORDS:
        rest = m.group(2)
        tail = split_compound(rest) if len(rest) > 5 else [rest]
        return ["abd", *tail]
    m = _DIN_SUFFIX.match(low)
    if m:
        return [m.group(1), "din"]
    m = _ALLAH_SUFFIX.match(low)
    if m and low not in _ALLAH_WORDS:
        return [m.group(1), "allah"]
    return [word]


def _split_arabic(word: str) -> list[str]:
    inner = word.find(_AR_ABD, 2)
    if inner > 0:  # "محمدعبد": two names written together
        return [*_split_arabic(word[:inner]), *_split_arabic(word[inner:])]
    if word.startswith(_AR_ABD) and len(word) > len(_AR_ABD) + 1:
        rest = word[len(_AR_ABD) :]
        if rest.startswith("ال") and len(rest) > 3 and rest != _AR_ALLAH:
            rest = rest[2:]
        return [_AR_ABD, *_split_arabic(rest)]
    for suffix in (_AR_ALLAH, _AR_DIN):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return [word[: -len(suffix)], suffix]
    return [word]


def canonical_word(word: str) -> str | None:
    """The fixed spelling of a compound element, or None."""
    low = _ascii(word)
    if low in _ALLAH_WORDS or word in (_AR_ALLAH, "لله", "له"):
        return "allah"
    if low in _DIN_WORDS or word in (_AR_DIN, "دين"):
        return "din"
    if low in _ABD_WORDS or word == _AR_ABD:
        return "abd"
    if low in _MUHAMMAD_ABBREVIATIONS:
        return "muhammad"
    return None


def is_patronymic(word: str) -> bool:
    """Russian, Ukrainian, Belarusian and Turkic patronymics (-ovich, -ovna, -ogly).

    Serbian surnames in -vić are not: only the readings of the word are tested,
    never the "ch" spelling of Ć.
    """
    if len(word) < 6:
        return False
    for reading in latin_readings(word):
        stripped = ascii_variants(reading)[-1]
        if _PATRONYMIC_STEM.search(stripped) and len(_PATRONYMIC_STEM.sub("", stripped)) >= 3:
            return True
    return False


def parse(name: str) -> ParsedName:
    """Split a name into parts; raises nothing (empty input gives no parts)."""
    text = clean(name).strip()
    form = "free"
    ignored: list[str] = []
    parts: list[Part] = []
    nasab = False

    if _is_mrz(text):
        form = "mrz"
        surname, given, truncatable = _mrz_parts(text)
        words = [(w, GIVEN) for w in given] + [(w, FAMILY) for w in surname]
        last_index = len(given) - 1 if given else len(words) - 1
        for i, (w, role) in enumerate(words):
            # Only the end of the field can be cut off: the last given name.
            _extend(parts, ignored, w, role, truncatable and i == last_index)
        return ParsedName(name, tuple(parts), form, False, tuple(ignored))

    words_roles: list[tuple[str, str]]
    if text.count(",") == 1:
        left, right = (s.strip() for s in text.split(","))
        left_words, right_words = _split_words(left), _split_words(right)
        right_meaningful = [w for w in right_words if _ascii(w) not in HONORIFICS]
        if left_words and right_meaningful:
            form = "comma"
            words_roles = [(w, GIVEN) for w in right_words] + [(w, FAMILY) for w in left_words]
        else:
            words_roles = [(w, UNKNOWN) for w in left_words + right_words]
    else:
        words_roles = [(w, UNKNOWN) for w in _split_words(text)]

    after_nasab = False  # the previous name-bearing word was BIN/IBN (articles between)
    last_after_nasab = False
    for word, role in words_roles:
        low = _ascii(word)
        if low in NASAB or word in ("بن", "بنت"):
            nasab = after_nasab = True
        count = len(parts)
        _extend(parts, ignored, word, role, False)
        if len(parts) > count:
            last_after_nasab = after_nasab
            after_nasab = False
        elif low not in ARTICLES and word != "ال":
            after_nasab = after_nasab and low in NASAB
    family_last = nasab and bool(parts) and not last_after_nasab
    return ParsedName(name, tuple(parts), form, nasab, tuple(ignored), family_last)


def _extend(parts: list[Part], ignored: list[str], word: str, role: str, trunc: bool) -> None:
    expanded, dropped = _expand(word, role, trunc)
    parts.extend(expanded)
    if dropped:
        ignored.append(dropped)


@lru_cache(maxsize=262144)
def _expand(word: str, role: str, truncatable: bool) -> tuple[tuple[Part, ...], str | None]:
    """Classify one word (dropping titles and articles) and split compounds;
    returns the parts and the word if it was dropped."""
    word = unicodedata.normalize("NFC", word)
    if any(ch.isdigit() for ch in word):
        if word.isdigit():
            return (Part(word, NUMBER),), None
        word = word.translate(_DIGIT_LOOKALIKE)
    low = _ascii(word)
    if low in HONORIFICS or low in ARTICLES or word == "ال" or word in ARABIC_HONORIFICS:
        return (), word
    if low in NASAB or word in ("بن", "بنت"):
        return (), word
    if low in PARTICLES:
        return (Part(word, PARTICLE),), None
    if len(low) == 1:
        return (Part(word, INITIAL),), None
    if is_patronymic(word):
        return (Part(word, PATRONYMIC, truncatable),), None
    pieces = split_compound(word)
    if len(pieces) == 1:
        return (Part(word, role, truncatable),), None
    last = len(pieces) - 1
    return tuple(Part(p, role, truncatable and i == last) for i, p in enumerate(pieces)), None
