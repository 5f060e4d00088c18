"""Transliteration of person names to Latin, and the ICAO Doc 9303 MRZ folding.

Owns the tables: Serbian Cyrillic <-> Latin (exact both ways for Gaj's alphabet),
the other Cyrillic alphabets (ICAO 9303 Part 3 and the common national
romanisations), Greek (ELOT 743 / ICAO), Armenian and Georgian (national systems),
Arabic and Persian script (a consonantal reading compared on skeletons), and the
MRZ rules for Latin diacritics (domain.md section 5: D-stroke -> D and DJ, A-umlaut
-> A and AE ...). A token can have several readings; the matcher compares all.

We keep our own tables instead of a generic transliterator because those fold
Cyrillic DJE to "Dj" but Latin D-stroke to "D", so the two scripts of one Serbian
name would get different keys.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from granica.names.script import (
    ARABIC,
    ARMENIAN,
    CYRILLIC,
    GEORGIAN,
    GREEK,
    HEBREW,
    LATIN,
    char_script,
    strip_marks,
)

# --- Cyrillic -----------------------------------------------------------------

# Serbian Cyrillic -> Gaj's Latin alphabet (the official, exact mapping).
SERBIAN_TO_LATIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž",
    "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip

# Letters that only the Serbian/Montenegrin/Macedonian alphabets use.
_SOUTH_SLAVIC_ONLY = set("ђјљњћџѓќѕ")
# Letters the Serbian alphabet lacks (Russian, Ukrainian, Belarusian, Bulgarian).
_NOT_SERBIAN = set("йщъыьэюяёєіїґў")

# ICAO Doc 9303 Part 3, table for Cyrillic (Russian base, with the Ukrainian,
# Belarusian, Macedonian and Serbian letters).
ICAO_CYRILLIC: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e",
    "ю": "iu", "я": "ia", "є": "ie", "і": "i", "ї": "i", "ґ": "g", "ў": "u",
    "ђ": "d", "ћ": "c", "ј": "j", "љ": "lj", "њ": "nj", "џ": "dz", "ѓ": "g",
    "ќ": "k", "ѕ": "dz",
}  # fmt: skip

# The romanisation most often met in Western press and older passports
# (BGN/PCGN-like: Y for the soft vowels and short I).
NATIONAL_CYRILLIC: dict[str, str] = {
    **ICAO_CYRILLIC,
    "й": "y", "ю": "yu", "я": "ya", "ё": "yo", "ъ": "", "х": "kh", "є": "ye",
    "ї": "yi", "щ": "shch",
}  # fmt: skip

# Ukrainian national system (2010): Г -> H, И -> Y, І -> I.
UKRAINIAN: dict[str, str] = {**NATIONAL_CYRILLIC, "г": "h", "и": "y", "ґ": "g", "х": "kh"}

# Bulgarian streamlined system: Ъ -> A, Щ -> SHT.
BULGARIAN: dict[str, str] = {**NATIONAL_CYRILLIC, "ъ": "a", "щ": "sht", "ц": "ts", "х": "h"}


def _map_chars(word: str, table: dict[str, str]) -> str:
    out: list[str] = []
    for ch in word:
        low = ch.lower()
        mapped = table.get(low)
        if mapped is None:
            out.append(ch)
        else:
            out.append(mapped.upper() if ch != low and len(mapped) == 1 else mapped)
    return "".join(out)


def _cyrillic_readings(word: str) -> list[str]:
    low = unicodedata.normalize("NFC", word.lower())
    letters = set(low)
    readings: list[str] = []
    if not letters & _NOT_SERBIAN:
        readings.append(_map_chars(low, SERBIAN_TO_LATIN))
    if not letters & _SOUTH_SLAVIC_ONLY or letters & _NOT_SERBIAN:
        readings.append(_map_chars(low, ICAO_CYRILLIC))
        readings.append(_russian_national(low))
        if letters & set("єіїґ"):
            readings.append(_map_chars(low, UKRAINIAN))
        if "ъ" in letters:
            readings.append(_map_chars(low, BULGARIAN))
    return readings or [_map_chars(low, ICAO_CYRILLIC)]


def _russian_national(low: str) -> str:
    """BGN/PCGN-style: E is YE at the start and after a vowel, -ИЙ/-ЫЙ -> -Y."""
    out: list[str] = []
    for i, ch in enumerate(low):
        prev = low[i - 1] if i else ""
        if ch == "е" and (not prev or prev in "аеёиоуыэюяьъ"):
            out.append("ye")
        else:
            out.append(NATIONAL_CYRILLIC.get(ch, ch))
    return "".join(out)


# Serbian Latin -> Cyrillic (best effort: DJ and the digraphs are read as single
# letters, which is right for names but not for every word, e.g. "nadživeti").
_LATIN_TO_SERBIAN_DIGRAPHS = {"dž": "џ", "lj": "љ", "nj": "њ", "dj": "ђ"}
_LATIN_TO_SERBIAN: dict[str, str] = {v: k for k, v in SERBIAN_TO_LATIN.items() if len(v) == 1}
_LATIN_TO_SERBIAN.update({"q": "к", "w": "в", "x": "кс", "y": "ј"})


def to_serbian_cyrillic(text: str) -> str:
    """Serbian Cyrillic for a Latin (Gaj) string, best effort, for display and tests.

    Latin -> Cyrillic is ambiguous (DJ may be Ђ or Д+Ј, NJ may be Н+Ј), so
    names are never compared through this function; other scripts pass through.
    """
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        low_pair = pair.lower()
        if low_pair in _LATIN_TO_SERBIAN_DIGRAPHS:
            cyr = _LATIN_TO_SERBIAN_DIGRAPHS[low_pair]
            out.append(cyr.upper() if pair[0].isupper() else cyr)
            i += 2
            continue
        ch = text[i]
        low = ch.lower()
        letter = _LATIN_TO_SERBIAN.get(low)
        if letter is None:
            out.append(ch)
        else:
            out.append(letter.upper() if ch != low and len(letter) == 1 else letter)
        i += 1
    return "".join(out)


# --- Greek (ELOT 743 / ICAO) --------------------------------------------------

_GREEK_DIGRAPHS: dict[str, tuple[str, ...]] = {
    "ου": ("ou",), "αυ": ("av", "af"), "ευ": ("ev", "ef"), "ηυ": ("iv", "if"),
    "μπ": ("mp", "b"), "ντ": ("nt", "d"), "γκ": ("gk", "g"), "γγ": ("ng",),
    "γχ": ("nch",), "τσ": ("ts",), "τζ": ("tz",), "αι": ("ai", "e"), "ει": ("ei", "i"),
    "οι": ("oi", "i"),
}  # fmt: skip
_GREEK: dict[str, str] = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip


def _greek_readings(word: str) -> list[str]:
    low = strip_marks(word.lower())
    primary: list[str] = []
    phonetic: list[str] = []
    i = 0
    while i < len(low):
        pair = low[i : i + 2]
        if pair in _GREEK_DIGRAPHS:
            options = _GREEK_DIGRAPHS[pair]
            primary.append(options[0])
            phonetic.append(options[-1])
            i += 2
            continue
        mapped = _GREEK.get(low[i], low[i])
        primary.append(mapped)
        phonetic.append("i" if mapped == "y" else mapped)
        i += 1
    return [_dedupe_join(primary), _dedupe_join(phonetic)]


def _dedupe_join(parts: list[str]) -> str:
    return "".join(parts)


# --- Armenian and Georgian (national systems) ----------------------------------

_ARMENIAN: dict[str, str] = {
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y",
    "թ": "t", "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h",
    "ձ": "dz", "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o",
    "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r",
    "ց": "ts", "ւ": "v", "փ": "p", "ք": "k", "օ": "o", "ֆ": "f", "և": "ev",
}  # fmt: skip
_GEORGIAN: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t",
    "ი": "i", "კ": "k", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p", "ჟ": "zh",
    "რ": "r", "ს": "s", "ტ": "t", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q",
    "შ": "sh", "ჩ": "ch", "ც": "ts", "ძ": "dz", "წ": "ts", "ჭ": "ch", "ხ": "kh",
    "ჯ": "j", "ჰ": "h",
}  # fmt: skip


def _armenian_reading(word: str) -> str:
    low = word.lower().replace("ու", "u")
    return _map_chars(low, _ARMENIAN)


# --- Arabic and Persian script --------------------------------------------------

# Each letter maps to one Latin letter in the spelling of granica.names.romanise
# (KHA -> X, SHIN -> S, THA -> T ...), so that two letters never read as a digraph;
# long vowels and ALIF become vowels, which the skeleton drops except at the
# start of a word. Persian, Pashto and Urdu letters
# map to their nearest Arabic value.
ARABIC_LETTERS: dict[str, str] = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "u", "ئ": "i",
    "ب": "b", "پ": "p", "ت": "t", "ث": "t", "ج": "j", "چ": "c", "ح": "h", "خ": "x",
    "د": "d", "ذ": "d", "ر": "r", "ز": "z", "ژ": "z", "س": "s", "ش": "s", "ص": "s",
    "ض": "d", "ط": "t", "ظ": "z", "ع": "'", "غ": "g", "ف": "f", "ق": "q", "ك": "k",
    "ک": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ھ": "h", "ة": "a",
    "ۃ": "a", "و": "w", "ي": "y", "ی": "y", "ى": "a", "ې": "e", "ۍ": "ay", "ے": "e",
    "ټ": "t", "ٹ": "t", "ډ": "d", "ڈ": "d", "ړ": "r", "ڑ": "r", "ښ": "s", "ږ": "z",
    "ګ": "g", "ځ": "z", "څ": "s", "ڼ": "n", "ں": "n", "ڤ": "v", "ڨ": "g",
}  # fmt: skip


# Letters read two ways across the Arabic-script languages: THA is TH in Arabic
# and S in Persian and Urdu (Uthman / Osman); QAF is G in Gulf and Iraqi speech;
# ZA is often written TH (Kathim / Kazim); a final HA may stand for TA MARBUTA.
_ARABIC_ALTERNATIVES: tuple[dict[str, str], ...] = (
    {}, {"ث": "s"}, {"ق": "g"}, {"ظ": "t"}, {"$": "a"},
)  # fmt: skip


def _arabic_letters(word: str, alternative: dict[str, str]) -> str:
    out: list[str] = []
    last = len(word) - 1
    for i, ch in enumerate(word):
        if ch == "و":
            out.append("w" if i == 0 else "u")
        elif ch in "يی":
            out.append("y" if i == 0 else "i")
        elif ch == "ع":
            out.append("a" if i == 0 else "'")
        elif ch in alternative:
            out.append(alternative[ch])
        elif "$" in alternative and ch in "هة" and i == last and i > 0:
            out.append("a")  # final HA written for TA MARBUTA (Persian style)
        else:
            out.append(ARABIC_LETTERS.get(ch, ch))
    return "".join(out)


def arabic_readings(word: str) -> tuple[str, ...]:
    """Consonantal Latin readings of an Arabic-script word (short vowels are not
    written, so none are guessed). Initial WAW/YA are consonants; elsewhere they
    are read as the long vowels U/I, which the skeleton comparison ignores. The
    article AL- is read with and without; letters with two common values give a
    second reading."""
    word = strip_marks(word).replace("\u0640", "")  # harakat and tatweel
    bases = [word]
    if word.startswith("ال") and len(word) > 3:
        bases.insert(0, word[2:])  # the name without the article first
    out: list[str] = []
    for base in bases:
        for alternative in _ARABIC_ALTERNATIVES:
            wanted = [ch for ch in alternative if ch != "$"]
            if (
                not alternative
                or any(ch in base for ch in wanted)
                or ("$" in alternative and base[-1:] in ("ه", "ة"))
            ):
                out.append(_arabic_letters(base, alternative))
    return tuple(dict.fromkeys(out))


def arabic_reading(word: str) -> str:
    """The first consonantal reading of an Arabic-script word."""
    return arabic_readings(word)[0]


# --- Hebrew script ----------------------------------------------------------------

# Consonantal like Arabic: VAV and YOD inside a word are read as the vowels U, I.
_HEBREW: dict[str, str] = {
    "א": "a", "ב": "b", "ג": "g", "ד": "d", "ה": "h", "ז": "z", "ח": "x", "ט": "t",
    "כ": "k", "ך": "k", "ל": "l", "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s",
    "ע": "'", "פ": "p", "ף": "f", "צ": "c", "ץ": "c", "ק": "k", "ר": "r", "ש": "s",
    "ת": "t",
}  # fmt: skip


def hebrew_reading(word: str) -> str:
    """A consonantal Latin reading of a Hebrew word (niqqud dropped)."""
    word = strip_marks(word)
    out: list[str] = []
    for i, ch in enumerate(word):
        if ch == "ו":
            out.append("v" if i == 0 else "u")
        elif ch == "י":
            out.append("y" if i == 0 else "i")
        elif ch == "פ" and i > 0:
            out.append("f")  # PE inside a word is mostly FE
        else:
            out.append(_HEBREW.get(ch, ch))
    return "".join(out)


# --- Latin diacritics: the ICAO MRZ folding ------------------------------------

# Letters whose MRZ spelling has two accepted forms (Doc 9303 Part 3 section 6):
# the first is the expanded one, the second the one with the diacritic stripped.
ICAO_LATIN: dict[str, tuple[str, str]] = {
    "ä": ("ae", "a"), "ö": ("oe", "o"), "ü": ("ue", "u"), "å": ("aa", "a"),
    "æ": ("ae", "ae"), "ø": ("oe", "o"), "ß": ("ss", "ss"), "ẞ": ("ss", "ss"),
    "þ": ("th", "th"), "ñ": ("n", "n"), "đ": ("dj", "d"), "ð": ("d", "d"),
    "ĳ": ("ij", "ij"), "œ": ("oe", "oe"), "ł": ("l", "l"), "ı": ("i", "i"),
    # Serbian/Croatian/Czech carons: the English-press spelling and the MRZ one.
    "š": ("sh", "s"), "ž": ("zh", "z"), "č": ("ch", "c"), "ć": ("ch", "c"),
}  # fmt: skip


def ascii_variants(latin: str) -> tuple[str, ...]:
    """The lower-case ASCII spellings of a Latin word under the ICAO rules: the
    expanded one (DJ, AE, OE, UE, SH ...) and the stripped one (D, A, O, U, S ...)."""
    low = unicodedata.normalize("NFC", latin.lower())
    if low.isascii():
        return (low,)
    expanded: list[str] = []
    stripped: list[str] = []
    for ch in low:
        pair = ICAO_LATIN.get(ch)
        if pair is not None:
            expanded.append(pair[0])
            stripped.append(pair[1])
            continue
        if ch.isascii():
            expanded.append(ch)
            stripped.append(ch)
            continue
        base = strip_marks(ch)
        pair = ICAO_LATIN.get(base)
        folded = pair[1] if pair else "".join(c for c in base if c.isascii())
        expanded.append(folded)
        stripped.append(folded)
    a, b = "".join(expanded), "".join(stripped)
    return (a,) if a == b else (a, b)


def mrz_fold(text: str) -> str:
    """The MRZ spelling of a Latin string: upper-case A-Z, diacritics stripped
    (the primary ICAO form: D-stroke -> D, A-umlaut -> A is not used; AE is)."""
    low = unicodedata.normalize("NFC", text.lower())
    out: list[str] = []
    for ch in low:
        pair = ICAO_LATIN.get(ch)
        if pair is not None:
            # Doc 9303 recommends the expanded form for the umlauts, Å, Æ, Ø and ß,
            # and the plain letter for Đ and the carons.
            out.append(pair[0] if ch in "äöüåæøßẞþœĳ" else pair[1])
        elif "a" <= ch <= "z":
            out.append(ch)
        else:
            base = strip_marks(ch)
            out.append("".join(c for c in base if "a" <= c <= "z"))
    return "".join(out).upper()


# --- Whole words and strings ----------------------------------------------------


@lru_cache(maxsize=65536)
def latin_readings(word: str) -> tuple[str, ...]:
    """Latin readings of one word (diacritics kept), first the preferred one.

    Mixed-script words ("Putиn") are read letter by letter with each letter's own
    table; words in a script Granica has no table for are returned as written.
    """
    scripts = {char_script(ch) for ch in word} - {"none"}
    if not scripts or scripts == {LATIN}:
        return (word,)
    if len(scripts) == 1:
        script = next(iter(scripts))
        if script == CYRILLIC:
            return _unique(_cyrillic_readings(word))
        if script == GREEK:
            return _unique(_greek_readings(word))
        if script == ARABIC:
            return arabic_readings(word)
        if script == ARMENIAN:
            return (_armenian_reading(word),)
        if script == HEBREW:
            return (hebrew_reading(word),)
        if script == GEORGIAN:
            return (_map_chars(word.lower(), _GEORGIAN),)
        return (word,)
    # Mixed: letter by letter, Serbian reading for Cyrillic letters.
    out: list[str] = []
    for ch in word:
        script = char_script(ch)
        if script == CYRILLIC:
            out.append(_cyrillic_readings(ch)[0])
        elif script == GREEK:
            out.append(_greek_readings(ch)[0])
        elif script == ARABIC:
            out.append(arabic_reading(ch))
        else:
            out.append(ch)
    return ("".join(out),)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _cased(word: str, reading_of: dict[str, str]) -> str:
    """Map letter by letter keeping the case: Љ -> Lj, but ЉУБА -> LJUBA."""
    out: list[str] = []
    for k, ch in enumerate(word):
        low = ch.lower()
        mapped = reading_of.get(low)
        if mapped is None:
            out.append(ch)
        elif ch == low or not mapped:
            out.append(mapped)
        elif len(mapped) == 1:
            out.append(mapped.upper())
        else:
            nxt = word[k + 1 : k + 2]
            prv = word[k - 1 : k] if k else ""
            shout = (nxt and nxt.isupper()) or (not nxt and prv.isupper())
            out.append(mapped.upper() if shout else mapped[0].upper() + mapped[1:])
    return "".join(out)


def _preferred_table(word: str) -> dict[str, str] | None:
    scripts = {char_script(ch) for ch in word} - {"none"}
    if scripts != {CYRILLIC}:
        return None
    letters = set(unicodedata.normalize("NFC", word.lower()))
    if not letters & _NOT_SERBIAN:
        return SERBIAN_TO_LATIN
    if letters & set("єіїґ"):
        return UKRAINIAN
    return ICAO_CYRILLIC


def to_latin(text: str) -> str:
    """The preferred Latin reading of a name, keeping Latin diacritics and case.

    Serbian Cyrillic gives Gaj's Latin exactly (Ђорђе -> Đorđe, ЉУБА -> LJUBA);
    other Cyrillic uses ICAO 9303 (Ukrainian its national system); Greek ELOT
    743; Arabic script a consonantal reading.
    """
    out: list[str] = []
    word: list[str] = []

    def flush() -> None:
        if not word:
            return
        w = "".join(word)
        word.clear()
        table = _preferred_table(w)
        if table is not None:
            out.append(_cased(w, table))
            return
        reading = latin_readings(w)[0]
        if w[:1].isupper() and reading:
            reading = reading[0].upper() + reading[1:]
            if w.isupper() and len(w) > 1:
                reading = reading.upper()
        out.append(reading)

    for ch in unicodedata.normalize("NFC", text):
        if ch.isalpha() or unicodedata.category(ch).startswith("M"):
            word.append(ch)
        else:
            flush()
            out.append(ch)
    flush()
    return "".join(out)
