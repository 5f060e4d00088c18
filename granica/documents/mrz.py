"""Reading ICAO Doc 9303 machine-readable zones (TD1, TD2, TD3, MRV-A, MRV-B) into checked fields.

`parse_mrz` is the one entry point: layout, every check digit, dates with their century, warnings
(expired, expiring, unknown codes, impossible dates) and OCR-confusion corrections that a check
digit confirms. Its `to_dict()` is the `granica mrz parse --json` contract.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from granica.documents.checkdigit import ALPHABET, VALUE_BYTES, digit_matches

TD1, TD2, TD3, MRVA, MRVB = "TD1", "TD2", "TD3", "MRVA", "MRVB"
DOCUMENT_TYPES = (TD1, TD2, TD3, MRVA, MRVB)

# (lines, characters per line) of each layout; the first letter V tells a visa from TD2/TD3.
_SHAPES: dict[tuple[int, int], tuple[str, str]] = {
    (3, 30): (TD1, TD1),
    (2, 36): (TD2, MRVB),
    (2, 44): (TD3, MRVA),
}

# Passport document codes from Doc 9303 Part 4 Amendment 2: optional from 2026, mandatory from
# 1 January 2028. "P<" stays valid, but an old-style passport must expire before 2038.
PASSPORT_CODES_2026 = frozenset({"PP", "PE", "PD", "PO", "PR", "PT", "PS", "PL", "PM", "PU"})
OLD_STYLE_LAST_EXPIRY = dt.date(2037, 12, 31)
_FIRST_LETTERS = frozenset("PIACV")

# The six OCR confusions corrected (domain.md §5); a digit-only field reads the letter as its digit,
# a letter-only field the digit as its letter.
LETTER_TO_DIGIT = {"O": "0", "I": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
DIGIT_TO_LETTER = {d: c for c, d in LETTER_TO_DIGIT.items()}
_MAX_FLIPS = 2
_ALLOWED = re.compile(r"[A-Z0-9<]*")
_CLEAN = re.compile(r"[A-Z0-9<]+(?:\n[A-Z0-9<]+)*\n?")

Span = tuple[int, int, int]  # line index, start, end (end exclusive)


# A plain dict filled on first use: the warning check reads it for every MRZ, and a module global
# is cheaper to reach than a cached function call.
_CODES: dict[str, tuple[str, str]] = {}


def _load_codes() -> dict[str, tuple[str, str]]:
    _CODES.update(country_codes())
    return _CODES


@lru_cache(maxsize=1)
def country_codes() -> dict[str, tuple[str, str]]:
    """Known three-letter (and ICAO one-letter) codes -> (kind, name), from country_codes.txt."""
    text = resources.files("granica.documents").joinpath("country_codes.txt").read_text("utf-8")
    out: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, kind, name = line.split("\t", 2)
        out[code] = (kind, name)
    return out


@dataclass(frozen=True, slots=True)
class _Check:
    name: str
    spans: tuple[Span, ...]
    digit: tuple[int, int]
    numeric: bool  # a date: every character of the field must be a digit (or all fillers)


@dataclass(slots=True)
class MrzResult:
    """What an MRZ says and how far it can be trusted. `to_dict()` is the CLI/API contract.

    `fields` are named as in ../shared/data/mrz/vectors.jsonl (fillers trimmed, dates as YYMMDD);
    `dates` are ISO or None; `checks` the check-digit verdicts as read; `warnings`, `corrections`
    and `errors` are lists of dicts with a `code`/`field` and a message; `lines` the zone as read,
    or as corrected when `corrections` is not empty.
    """

    type: str | None
    valid: bool
    fields: dict[str, str]
    dates: dict[str, str | None]
    checks: dict[str, bool]
    warnings: list[dict[str, str]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    lines: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "valid": self.valid,
            "fields": dict(self.fields),
            "dates": dict(self.dates),
            "checks": dict(self.checks),
            "warnings": [dict(w) for w in self.warnings],
            "corrections": [dict(c) for c in self.corrections],
            "errors": [dict(e) for e in self.errors],
        }

    @property
    def birth_date(self) -> dt.date | None:
        value = self.dates.get("birth_date")
        return dt.date.fromisoformat(value) if value else None

    @property
    def expiry_date(self) -> dt.date | None:
        value = self.dates.get("expiry_date")
        return dt.date.fromisoformat(value) if value else None

    @property
    def warning_codes(self) -> list[str]:
        return [w["code"] for w in self.warnings]


# --- layout -----------------------------------------------------------------------------------


def _split_lines(text: str) -> list[str]:
    # Keyboard-wedge readers and OCR add spaces, carriage returns and blank lines; an MRZ has none.
    if " " not in text and "\r" not in text and "\t" not in text:
        return [line for line in text.upper().split("\n") if line]
    lines = ["".join(line.split()).upper() for line in text.replace("\r", "\n").split("\n")]
    return [line for line in lines if line]


def _clean_lines(text: str) -> list[str] | None:
    """The lines of an MRZ already in canonical form (the common case), else None."""
    if _CLEAN.fullmatch(text) is None:
        return None
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()
    return lines


def _fast_kind(lines: list[str]) -> str | None:
    """The layout of canonical lines when their shape is right (no error reporting needed)."""
    width = len(lines[0])
    kinds = _SHAPES.get((len(lines), width))
    if kinds is None or len(lines[1]) != width or len(lines[-1]) != width:
        return None
    return kinds[1] if lines[0][0] == "V" else kinds[0]


def _guess_type(lines: list[str]) -> str | None:
    if len(lines) == 3:
        return TD1
    if len(lines) == 2:
        mean = (len(lines[0]) + len(lines[1])) / 2
        visa = lines[0].startswith("V")
        if mean >= 40:
            return MRVA if visa else TD3
        return MRVB if visa else TD2
    return None


def _layout_errors(lines: list[str]) -> tuple[str | None, list[dict[str, str]]]:
    if not lines:
        return None, [
            {"code": "empty", "message": "no MRZ text: give the 2 or 3 lines of the zone"}
        ]
    width = len(lines[0])
    kinds = _SHAPES.get((len(lines), width))
    errors: list[dict[str, str]] = []
    if kinds is None or len(lines[-1]) != width or len(lines[1]) != width:
        guess = _guess_type(lines)
        if guess is None:
            message = (
                f"{len(lines)} line(s) read; an MRZ has 3 lines of 30 (TD1) or 2 lines of 36 "
                "(TD2, MRV-B) or 44 (TD3, MRV-A) characters"
            )
        else:
            width = {TD1: 30, TD2: 36, MRVB: 36, TD3: 44, MRVA: 44}[guess]
            bad = [
                f"line {i + 1} has {len(line)}"
                for i, line in enumerate(lines)
                if len(line) != width
            ]
            message = f"{guess} needs {len(lines)} lines of {width} characters: " + ", ".join(bad)
        errors.append({"code": "line_length", "message": message})
        return guess, errors
    kind = kinds[1] if lines[0][0] == "V" else kinds[0]
    if _ALLOWED.fullmatch("".join(lines)):
        return kind, errors
    for i, line in enumerate(lines):
        for j, char in enumerate(line):
            if char not in ALPHABET:
                errors.append(
                    {
                        "code": "bad_character",
                        "message": f"line {i + 1}, position {j + 1}: {char!r} cannot appear in an "
                        "MRZ (only A-Z, 0-9 and '<')",
                    }
                )
    return kind, errors


_STATIC: dict[str, list[_Check]] = {}


def _checks_for(kind: str, lines: list[str]) -> list[_Check]:
    """The check-digit fields of a layout, with the positions they cover in these lines.

    Only the TD1/TD2 document number moves (long numbers); the other checks are built once.
    """
    static = _STATIC.get(kind)
    if static is None:
        static = _STATIC[kind] = _build_checks(kind, lines)[1:]
    if kind == TD1:
        return [_number_check(lines, 0, 5, 15, 30), *static]
    if kind == TD2:
        return [_number_check(lines, 1, 0, 28, 35), *static]
    full = _STATIC.get(kind + "+")
    if full is None:
        full = _STATIC[kind + "+"] = [_PLAIN_NUMBER, *static]
    return full


def _build_checks(kind: str, lines: list[str]) -> list[_Check]:
    if kind == TD1:
        number = _number_check(lines, 0, 5, 15, 30)
        return [
            number,
            _Check("birth_date", ((1, 0, 6),), (1, 6), True),
            _Check("expiry_date", ((1, 8, 14),), (1, 14), True),
            _Check("composite", ((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)), (1, 29), False),
        ]
    checks = [
        _number_check(lines, 1, 0, 28, 35)
        if kind == TD2
        else _Check("document_number", ((1, 0, 9),), (1, 9), False),
        _Check("birth_date", ((1, 13, 19),), (1, 19), True),
        _Check("expiry_date", ((1, 21, 27),), (1, 27), True),
    ]
    if kind == TD3:
        checks.append(_Check("optional_data", ((1, 28, 42),), (1, 42), False))
        checks.append(_Check("composite", ((1, 0, 10), (1, 13, 20), (1, 21, 43)), (1, 43), False))
    elif kind == TD2:
        checks.append(_Check("composite", ((1, 0, 10), (1, 13, 20), (1, 21, 35)), (1, 35), False))
    return checks


_PLAIN_NUMBER = _Check("document_number", ((1, 0, 9),), (1, 9), False)
_PLAIN_NUMBER_TD1 = _Check("document_number", ((0, 5, 14),), (0, 14), False)


@lru_cache(maxsize=256)
def _check_of(spans: tuple[Span, ...], digit: tuple[int, int]) -> _Check:
    return _Check("document_number", spans, digit, False)


def _number_check(lines: list[str], row: int, start: int, opt_start: int, opt_end: int) -> _Check:
    """Document number of TD1/TD2, including the long-number overflow into the optional data.

    When the check-digit position holds `<`, the number goes on in the optional data up to the
    next filler and the last character before it is the check digit. The `<` at the check-digit
    position itself is not part of the number (Doc 9303 Part 5/6); some PRADO cards include it,
    and those fail here, as they should under ICAO.
    """
    line = lines[row]
    cd = start + 9
    if line[cd] == "<":
        filler = line.find("<", opt_start, opt_end)
        end = opt_end if filler < 0 else filler
        if end > opt_start:
            spans: tuple[Span, ...] = ((row, start, cd),)
            if end - 1 > opt_start:
                spans += ((row, opt_start, end - 1),)
            return _check_of(spans, (row, end - 1))
    return _check_of(((row, start, cd),), (row, cd))


def _text(lines: list[str], spans: tuple[Span, ...]) -> str:
    return "".join(lines[r][a:b] for r, a, b in spans)


def _verdicts(lines: list[str], checks: list[_Check]) -> dict[str, bool]:
    """Every check's verdict; the hot path of validation, so the digit arithmetic is inlined.

    Each line is turned once into the bytes of its character values modulo 10 (enough for a sum
    modulo 10); a check then only slices and sums those bytes.
    """
    values = [line.encode("ascii").translate(VALUE_BYTES) for line in lines]
    out: dict[str, bool] = {}
    for check in checks:
        spans = check.spans
        r, p = check.digit
        digit = lines[r][p]
        if digit == "<":
            text = "".join([lines[r][a:b] for r, a, b in spans])
            out[check.name] = text.count("<") == len(text)
            continue
        if len(spans) == 1:
            r, a, b = spans[0]
            data = values[r][a:b]
        else:
            data = b"".join([values[r][a:b] for r, a, b in spans])
        out[check.name] = (
            ord(digit) - 48 == (7 * sum(data[0::3]) + 3 * sum(data[1::3]) + sum(data[2::3])) % 10
        )
    return out


def _w(data: bytes) -> int:
    """Check digit value of translated bytes (see checkdigit.VALUE_BYTES)."""
    return (7 * sum(data[0::3]) + 3 * sum(data[1::3]) + sum(data[2::3])) % 10


def _fast_verdicts(kind: str, lines: list[str]) -> dict[str, bool] | None:
    """The verdicts of the common layouts written out position by position (the hot path).

    Gives None where the generic `_verdicts` must decide: a `<` check digit (absent field or
    TD1/TD2 long document number).
    """
    if kind == TD1:
        l1, l2 = lines[0], lines[1]
        if "<" in (l1[14], l2[6], l2[14], l2[29]):
            return None
        v1 = l1.encode("ascii").translate(VALUE_BYTES)
        v2 = l2.encode("ascii").translate(VALUE_BYTES)
        return {
            "document_number": ord(l1[14]) - 48 == _w(v1[5:14]),
            "birth_date": ord(l2[6]) - 48 == _w(v2[0:6]),
            "expiry_date": ord(l2[14]) - 48 == _w(v2[8:14]),
            "composite": ord(l2[29]) - 48 == _w(v1[5:30] + v2[0:7] + v2[8:15] + v2[18:29]),
        }
    l2 = lines[1]
    if "<" in (l2[9], l2[19], l2[27]):
        return None
    v = l2.encode("ascii").translate(VALUE_BYTES)
    out = {
        "document_number": ord(l2[9]) - 48 == _w(v[0:9]),
        "birth_date": ord(l2[19]) - 48 == _w(v[13:19]),
        "expiry_date": ord(l2[27]) - 48 == _w(v[21:27]),
    }
    if kind == TD3:
        if l2[42] == "<":
            return None
        out["optional_data"] = ord(l2[42]) - 48 == _w(v[28:42])
        out["composite"] = ord(l2[43]) - 48 == _w(v[0:10] + v[13:20] + v[21:43])
    elif kind == TD2:
        out["composite"] = ord(l2[35]) - 48 == _w(v[0:10] + v[13:20] + v[21:35])
    return out


def _passes(lines: list[str], check: _Check) -> bool:
    r, c = check.digit
    return digit_matches(_text(lines, check.spans), lines[r][c])


# --- fields -----------------------------------------------------------------------------------


def _fields(kind: str, lines: list[str], number: _Check | None) -> dict[str, str]:
    # Written out field by field, without helper calls: this runs for every MRZ parsed.
    if number is None:
        number = _PLAIN_NUMBER_TD1 if kind == TD1 else _PLAIN_NUMBER
    spans = number.spans
    if len(spans) == 1:
        r, a, b = spans[0]
        number_text = lines[r][a:b]
    else:
        number_text = _text(lines, spans)
    if kind == TD1:
        l1, l2, l3 = lines
        # The optional data starts after the overflow's check digit when the number overflowed.
        c = number.digit[1]
        opt_from = c + 2 if c > 14 else 15
        primary, _, secondary = l3.partition("<<")
        birth, expiry = l2[0:6], l2[8:14]
        return {
            "document_code": l1[0:2].replace("<", " ").strip(),
            "issuing_state": l1[2:5].replace("<", " ").strip(),
            "document_number": number_text.replace("<", " ").rstrip(),
            "optional_data": l1[opt_from:30].replace("<", " ").strip(),
            "birth_date": "" if birth == "<<<<<<" else birth,
            "sex": l2[7],
            "expiry_date": "" if expiry == "<<<<<<" else expiry,
            "nationality": l2[15:18].replace("<", " ").strip(),
            "optional_data_2": l2[18:29].replace("<", " ").strip(),
            "surname": primary.replace("<", " ").strip(),
            "given_names": secondary.replace("<", " ").strip(),
        }
    l1, l2 = lines
    if kind == TD3:
        optional = l2[28:42]
    elif kind == TD2:
        c = number.digit[1]
        optional = l2[c + 2 : 35] if c > 9 else l2[28:35]
    else:
        optional = l2[28:]
    primary, _, secondary = l1[5:].partition("<<")
    birth, expiry = l2[13:19], l2[21:27]
    return {
        "document_code": l1[0:2].replace("<", " ").strip(),
        "issuing_state": l1[2:5].replace("<", " ").strip(),
        "surname": primary.replace("<", " ").strip(),
        "given_names": secondary.replace("<", " ").strip(),
        "document_number": number_text.replace("<", " ").rstrip(),
        "nationality": l2[10:13].replace("<", " ").strip(),
        "birth_date": "" if birth == "<<<<<<" else birth,
        "sex": l2[20],
        "expiry_date": "" if expiry == "<<<<<<" else expiry,
        "optional_data": optional.replace("<", " ").strip(),
    }


# --- dates ------------------------------------------------------------------------------------


# Dates are handled as integer keys YYYYMMDD on the hot path: comparing and formatting them is
# several times cheaper than building datetime.date objects, and validation is one table look-up.
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _possible(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    if day <= _DAYS_IN_MONTH[month]:
        return True
    return month == 2 and day == 29 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# Every MMDD that can exist (29 February included; the year decides that one).
_MMDD = frozenset(
    f"{m:02d}{d:02d}"
    for m in range(1, 13)
    for d in range(1, _DAYS_IN_MONTH[m] + (2 if m == 2 else 1))
)


def _birth_key(value: str, today_key: int) -> int:
    """YYMMDD -> YYYYMMDD of the latest possible date not after today; 0 when impossible."""
    if value[2:] not in _MMDD or not value[:2].isdigit():
        return 0
    # (2000 + YY) * 10000 + MMDD is just 20000000 + YYMMDD.
    key = 20000000 + int(value)
    if key > today_key or (value[2:] == "0229" and not _possible(key // 10000, 2, 29)):
        key -= 1000000
        if value[2:] == "0229" and not _possible(key // 10000, 2, 29):
            return 0
    return key if key <= today_key else 0


def _expiry_key(value: str, today_year: int, birth_key: int) -> int:
    """YYMMDD -> YYYYMMDD within 50 years of today and not before birth; 0 when impossible."""
    if value[2:] not in _MMDD or not value[:2].isdigit():
        return 0
    key = 20000000 + int(value)
    year = key // 10000
    if year >= today_year + 50:
        key -= 1000000
    elif year < today_year - 50:
        key += 1000000
    if key < birth_key:
        key += 1000000
    if value[2:] == "0229" and not _possible(key // 10000, 2, 29):
        return 0
    return key


def _iso(key: int, value: str) -> str | None:
    """ISO date of a resolved key; month and day are copied from the YYMMDD value as read."""
    return f"{key // 10000}-{value[2:4]}-{value[4:6]}" if key else None


def _key(date: dt.date) -> int:
    return date.year * 10000 + date.month * 100 + date.day


def _date_of(key: int) -> dt.date | None:
    return dt.date(key // 10000, key // 100 % 100, key % 100) if key else None


def resolve_birth_date(value: str, today: dt.date) -> dt.date | None:
    """YYMMDD -> the latest date not after `today` (a birth date is in the past); None if impossible."""
    return _date_of(_birth_key(value, _key(today)))


def resolve_expiry_date(value: str, today: dt.date, birth: dt.date | None = None) -> dt.date | None:
    """YYMMDD -> the date within 50 years of `today`, and after `birth` (expiry may be decades ahead)."""
    return _date_of(_expiry_key(value, today.year, _key(birth) if birth else 0))


@lru_cache(maxsize=16)
def _soon(today: dt.date) -> int:
    return _key(add_months(today, 3))


def add_months(date: dt.date, months: int) -> dt.date:
    month0 = date.month - 1 + months
    year, month = date.year + month0 // 12, month0 % 12 + 1
    for day in (date.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- OCR corrections --------------------------------------------------------------------------


def _record(
    field_name: str, pos: tuple[int, int], read: str, corrected: str, why: str
) -> dict[str, Any]:
    return {
        "field": field_name,
        "line": pos[0] + 1,
        "position": pos[1] + 1,
        "read": read,
        "corrected": corrected,
        "confirmed_by": why,
    }


def _positions(check: _Check) -> list[tuple[int, int]]:
    return [(r, i) for r, a, b in check.spans for i in range(a, b)]


def _apply(rows: list[list[str]], changes: dict[tuple[int, int], str]) -> list[str]:
    for (r, c), ch in changes.items():
        rows[r][c] = ch
    return ["".join(row) for row in rows]


def _composite_passes(lines: list[str], composite: _Check) -> bool:
    r, c = composite.digit
    digit = lines[r][c]
    digit = LETTER_TO_DIGIT.get(digit, digit)
    return digit_matches(_text(lines, composite.spans), digit)


def _try_check(
    rows: list[list[str]], check: _Check, composite: _Check | None
) -> dict[tuple[int, int], str] | None:
    """Smallest confusion fix that makes this check digit agree; None when none, or ambiguous.

    A field of letters and digits can often be repaired in more than one way that satisfies its
    own digit (one in ten at random), so where the layout has a composite digit it must agree too.
    """
    lines = ["".join(row) for row in rows]
    digit_pos = check.digit
    forced: dict[tuple[int, int], str] = {}
    read_digit = lines[digit_pos[0]][digit_pos[1]]
    if read_digit in LETTER_TO_DIGIT:
        forced[digit_pos] = LETTER_TO_DIGIT[read_digit]
    positions = _positions(check)
    if check.numeric:
        for r, c in positions:
            ch = lines[r][c]
            if ch in LETTER_TO_DIGIT:
                forced[(r, c)] = LETTER_TO_DIGIT[ch]
        if not forced:
            return None
        trial = _apply([list(line) for line in lines], forced)
        return forced if _passes(trial, check) else None
    flippable = [
        (p, LETTER_TO_DIGIT.get(lines[p[0]][p[1]]) or DIGIT_TO_LETTER.get(lines[p[0]][p[1]]))
        for p in positions
        if lines[p[0]][p[1]] in LETTER_TO_DIGIT or lines[p[0]][p[1]] in DIGIT_TO_LETTER
    ]
    for flips in range(_MAX_FLIPS + 1):
        if flips == 0 and not forced:
            continue
        found: list[dict[tuple[int, int], str]] = []
        for combo in itertools.combinations(flippable, flips):
            changes = dict(forced)
            changes.update({p: ch for p, ch in combo if ch is not None})
            trial = _apply([list(line) for line in lines], changes)
            if _passes(trial, check) and (composite is None or _composite_passes(trial, composite)):
                found.append(changes)
        if len(found) == 1:
            return found[0]
        if found:
            return None  # two readings agree with the digit: refuse to guess
    return None


def _letters_only_spans(kind: str) -> list[tuple[str, Span]]:
    if kind == TD1:
        return [
            ("document_code", (0, 0, 2)),
            ("issuing_state", (0, 2, 5)),
            ("nationality", (1, 15, 18)),
            ("name", (2, 0, 30)),
        ]
    width = 44 if kind in (TD3, MRVA) else 36
    return [
        ("document_code", (0, 0, 2)),
        ("issuing_state", (0, 2, 5)),
        ("name", (0, 5, width)),
        ("nationality", (1, 10, 13)),
    ]


def _correct(
    kind: str,
    lines: list[str],
    checks: list[_Check],
    verdicts: dict[str, bool],
    from_ocr: bool = False,
) -> tuple[list[str], list[dict[str, Any]]]:
    rows = [list(line) for line in lines]
    corrections: list[dict[str, Any]] = []
    composite = next((c for c in checks if c.name == "composite"), None)
    # Dates first: their repair is forced (digits only), and the composite then has a chance to
    # confirm the repairs of the fields that mix letters and digits.
    ordered = sorted(checks, key=lambda c: not c.numeric)
    for check in ordered:
        if verdicts[check.name] or check.name == "composite":
            continue
        changes = _try_check(rows, check, None if check.numeric else composite)
        if changes:
            for pos, ch in sorted(changes.items()):
                why = f"{check.name} check digit"
                corrections.append(_record(check.name, pos, rows[pos[0]][pos[1]], ch, why))
            _apply(rows, changes)
    if composite is not None and not verdicts["composite"]:
        current = ["".join(row) for row in rows]
        r, c = composite.digit
        read = current[r][c]
        if read in LETTER_TO_DIGIT:
            trial = _apply([list(line) for line in current], {(r, c): LETTER_TO_DIGIT[read]})
            if _passes(trial, composite):
                corrections.append(
                    _record(
                        "composite", (r, c), read, LETTER_TO_DIGIT[read], "composite check digit"
                    )
                )
                rows[r][c] = LETTER_TO_DIGIT[read]
    if corrections or from_ocr:
        # The check digits proved that this reading went through OCR confusions (or the text comes
        # from OCR of an image), so digits in fields that hold only letters are read back as the
        # letters they were confused with.
        cause = ("the check digits show OCR confusions in this reading" if corrections
                 else "the text was read by OCR from an image")
        _read_back(rows, _letters_only_spans(kind), DIGIT_TO_LETTER,
                   f"field holds letters only; {cause}", corrections)
        # Dates hold digits only. G counts as 6 in check-digit arithmetic (16 mod 10), so no
        # check digit can tell a 6 read as G; a look-alike letter in a date is read as its digit.
        dates = [(c.name, span) for c in checks if c.numeric
                 for span in (*c.spans, (c.digit[0], c.digit[1], c.digit[1] + 1))]
        _read_back(rows, dates, LETTER_TO_DIGIT, f"field holds digits only; {cause}", corrections)
    return ["".join(row) for row in rows], corrections


def _read_back(
    rows: list[list[str]],
    spans: list[tuple[str, Span]],
    lookalike: dict[str, str],
    why: str,
    corrections: list[dict[str, Any]],
) -> None:
    """Replace, in place, each character of `spans` that has a look-alike, recording why."""
    for name, (r, a, b) in spans:
        for c in range(a, b):
            ch = rows[r][c]
            if ch in lookalike:
                corrections.append(_record(name, (r, c), ch, lookalike[ch], why))
                rows[r][c] = lookalike[ch]


# --- warnings ---------------------------------------------------------------------------------


def _warn(code: str, field_name: str | None, message: str) -> dict[str, str]:
    out = {"code": code, "message": message}
    if field_name:
        out["field"] = field_name
    return out


_OLD_STYLE_LAST_EXPIRY = _key(OLD_STYLE_LAST_EXPIRY)


def _warnings(
    fields: dict[str, str],
    birth: int,
    expiry: int,
    today: dt.date,
    today_key: int,
    name_field: str,
) -> list[dict[str, str]]:
    warnings: list[dict[str, str]] = []
    codes = _CODES or _load_codes()
    for key in ("issuing_state", "nationality"):
        if fields[key] not in codes:
            warnings.append(
                _warn(
                    "unknown_country_code",
                    key,
                    f"{key} {fields[key]!r} is not an ICAO/ISO 3166 code",
                )
            )
    if not birth:
        warnings.append(
            _warn(
                "impossible_date",
                "birth_date",
                f"birth date {fields['birth_date']!r} is not a possible date in the past",
            )
        )
    raw_expiry = fields["expiry_date"]
    if not raw_expiry:
        warnings.append(_warn("no_expiry_date", "expiry_date", "the document shows no expiry date"))
    elif not expiry:
        warnings.append(
            _warn(
                "impossible_date",
                "expiry_date",
                f"expiry date {raw_expiry!r} is not a possible date",
            )
        )
    elif expiry < today_key:
        warnings.append(
            _warn("expired", "expiry_date", f"the document expired on {_iso(expiry, raw_expiry)}")
        )
    elif expiry < _soon(today):
        warnings.append(
            _warn(
                "expires_soon",
                "expiry_date",
                f"the document expires within 3 months, on {_iso(expiry, raw_expiry)}",
            )
        )
    code = fields["document_code"]
    if not code or code[0] not in _FIRST_LETTERS:
        warnings.append(
            _warn(
                "unknown_document_code",
                "document_code",
                f"document code {code!r} does not start with P, I, A, C or V",
            )
        )
    elif code[0] == "P":
        if len(code) == 2 and code not in PASSPORT_CODES_2026:
            warnings.append(
                _warn(
                    "unknown_document_code",
                    "document_code",
                    f"passport code {code!r} is neither 'P<' nor one of the 2026 codes (PP, PD, PO, ...)",
                )
            )
        if len(code) == 1 and expiry > _OLD_STYLE_LAST_EXPIRY:
            warnings.append(
                _warn(
                    "old_style_code",
                    "document_code",
                    "a passport with code 'P<' must expire before 2038; this one expires later",
                )
            )
    if name_field and name_field[-1] != "<":
        warnings.append(
            _warn(
                "name_possibly_truncated",
                "surname",
                "the name fills its whole field and may be truncated",
            )
        )
    return warnings


# --- entry point ------------------------------------------------------------------------------


def _malformed(kind: str | None, errors: list[dict[str, str]], lines: list[str]) -> MrzResult:
    return MrzResult(kind, False, {}, {}, {}, [], [], errors, tuple(lines))


_OCR_FILLER = re.compile(r"(?<=<)K(?=[<K])|(?<=[<K])K(?=<)")


_OCR_TAIL = re.compile(r"[<«][<K«]*$")


def normalize_ocr_text(text: str) -> str:
    """Undo what general-purpose OCR does to fillers: `<` read as K, and runs of them miscounted.

    The trailing run of fillers of each line is rebuilt to the layout's width, so a line that OCR
    made too long or too short at its end still parses.
    """
    lines = _split_lines(text)
    if len(lines) == 3:
        width = 30
    elif len(lines) == 2:
        width = 44 if max(len(line) for line in lines) >= 40 else 36
    else:
        return "\n".join(lines)
    out = []
    for line in lines:
        for _ in range(3):
            line = _OCR_FILLER.sub("<", line)
        # The trailing run starts at a filler: K's right after a letter are part of a name.
        tail = _OCR_TAIL.search(line)
        if tail is not None and tail.start() <= width:
            line = line[: tail.start()].ljust(width, "<")
        out.append(line)
    return "\n".join(out)


def parse_mrz(
    text: str, *, today: dt.date, correct: bool = True, from_ocr: bool = False
) -> MrzResult:
    """Parse and validate an MRZ (lines separated by newlines).

    `valid` is the verdict on the zone as read: layout and every check digit right under Doc 9303.
    When some check digit fails and `correct` is on, OCR confusions that a check digit confirms
    are corrected: `fields` then show the corrected reading, `corrections` say what was changed,
    and `valid` stays false. Malformed input gives `errors`, never an exception. `from_ocr` (text
    read from an image) also rebuilds filler runs and reads digits in letter-only fields as letters.
    `today` (the day the document is presented) decides century and expiry; the caller gives it.
    """
    if from_ocr:
        text = normalize_ocr_text(text)
    clean = _clean_lines(text)
    kind = _fast_kind(clean) if clean else None
    if clean and kind:
        lines = clean
    else:
        lines = _split_lines(text)
        found, errors = _layout_errors(lines)
        if errors or found is None:
            return _malformed(found, errors, lines)
        kind = found
    checks: list[_Check] | None = None
    verdicts = _fast_verdicts(kind, lines)
    if verdicts is None:
        checks = _checks_for(kind, lines)
        verdicts = _verdicts(lines, checks)
    valid = all(verdicts.values())
    corrections: list[dict[str, Any]] = []
    read = lines
    if (not valid or from_ocr) and correct:
        read, corrections = _correct(
            kind, lines, checks or _checks_for(kind, lines), verdicts, from_ocr
        )
        if corrections:
            checks = _checks_for(kind, read)
        else:
            read = lines
    # Without a check list the document number is the plain 9-character field (no overflow).
    fields = _fields(kind, read, checks[0] if checks else None)
    today_key = _key(today)
    birth = _birth_key(fields["birth_date"], today_key)
    expiry = _expiry_key(fields["expiry_date"], today.year, birth)
    dates = {
        "birth_date": _iso(birth, fields["birth_date"]),
        "expiry_date": _iso(expiry, fields["expiry_date"]),
    }
    name_field = read[2] if kind == TD1 else read[0][5:]
    warnings = _warnings(fields, birth, expiry, today, today_key, name_field)
    if kind == TD1 and checks and not verdicts["document_number"] and read[0][14] == "<":
        number = checks[0]
        with_filler = _text(read, number.spans)[:9] + "<" + _text(read, number.spans)[9:]
        r, c = number.digit
        if c > 14 and digit_matches(with_filler, read[r][c]):
            # Seen on some PRADO cards (BEL, PRT): the issuer counted the filler at position 15.
            warnings.append(
                _warn(
                    "number_digit_counts_filler",
                    "document_number",
                    "the document number check digit is right only if the '<' at position 15 is counted, as some issuers do; ICAO excludes it",
                )
            )
    return MrzResult(kind, valid, fields, dates, verdicts, warnings, corrections, [], tuple(read))
