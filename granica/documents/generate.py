"""Writing an MRZ from its fields (the inverse of `parse_mrz`), check digits and long numbers included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from granica.documents.checkdigit import check_digit
from granica.documents.mrz import MRVA, MRVB, TD1, TD2, TD3
from granica.documents.names import transliterate, validate_mrz_text
from granica.errors import ValidationError

_WIDTH = {TD1: 30, TD2: 36, TD3: 44, MRVA: 44, MRVB: 36}
_MRZ_READY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ ")


def _value(fields: Mapping[str, object], key: str) -> str:
    value = fields.get(key, "")
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%y%m%d")
    return str(value).strip().upper()


def _pad(value: str, width: int, field: str) -> str:
    text = value.replace(" ", "<")
    validate_mrz_text(text, field)
    if len(text) > width:
        raise ValidationError(
            f"{field} {value!r} is {len(text)} characters; at most {width} fit", field=field
        )
    return text.ljust(width, "<")


def _date(fields: Mapping[str, object], key: str, required: bool) -> str:
    text = _value(fields, key)
    if not text and not required:
        return "<<<<<<"
    if len(text) != 6 or not text.isdigit():
        raise ValidationError(f"{key} {text!r} must be YYMMDD digits (or a date)", field=key)
    return text


def _name_part(value: str) -> str:
    # Already in MRZ form (as parse_mrz returns it): keep it exactly, so parse/generate round-trip.
    if set(value) <= _MRZ_READY:
        return value.replace(" ", "<")
    return transliterate(value)


def _name(fields: Mapping[str, object], width: int) -> str:
    surname = _name_part(str(fields.get("surname") or "").strip().upper())
    given = _name_part(str(fields.get("given_names") or "").strip().upper())
    if not surname and not given:
        raise ValidationError("surname and given_names are both empty", field="surname")
    text = surname + ("<<" + given if given else "")
    if len(text) > width:
        # ICAO: a truncated name ends with a letter, never with a filler.
        text = text[:width].rstrip("<")
    return text.ljust(width, "<")


def _number(fields: Mapping[str, object], kind: str, optional_width: int) -> tuple[str, str]:
    """Document number field + check digit, and what it leaves of the optional data (TD1/TD2 overflow)."""
    number = _value(fields, "document_number").replace(" ", "<")
    validate_mrz_text(number, "document_number")
    if not number:
        raise ValidationError("document_number is empty", field="document_number")
    if len(number) <= 9:
        return number.ljust(9, "<") + check_digit(number.ljust(9, "<")), ""
    if kind not in (TD1, TD2):
        raise ValidationError(
            f"document_number {number!r} is longer than 9 characters; only TD1 and TD2 carry long numbers",
            field="document_number",
        )
    rest = number[9:] + check_digit(number)
    if len(rest) + 1 > optional_width:
        raise ValidationError(
            f"document_number {number!r} is too long for a {kind} (the overflow must fit the optional data)",
            field="document_number",
        )
    return number[:9] + "<", rest + "<"


def generate_mrz(document_type: str, fields: Mapping[str, object]) -> str:
    """The MRZ lines (joined by newlines) for `fields` named as in `MrzResult.fields`.

    Names may be given in any script: they are transliterated (ICAO's recommended spelling) and
    truncated to the field. Raises ValidationError naming the field that cannot be written.
    """
    kind = document_type.upper()
    if kind not in _WIDTH:
        raise ValidationError(
            f"document type {document_type!r} is not one of TD1, TD2, TD3, MRVA, MRVB", field="type"
        )
    width = _WIDTH[kind]
    code = _pad(_value(fields, "document_code"), 2, "document_code")
    if code[0] == "<":
        raise ValidationError("document_code is empty", field="document_code")
    issuing = _pad(_value(fields, "issuing_state"), 3, "issuing_state")
    nationality = _pad(_value(fields, "nationality"), 3, "nationality")
    birth = _date(fields, "birth_date", True)
    expiry = _date(fields, "expiry_date", False)
    sex = _value(fields, "sex") or "<"
    if sex not in ("M", "F", "X", "<"):
        raise ValidationError(f"sex {sex!r} must be M, F, X or '<'", field="sex")
    birth_cd, expiry_cd = check_digit(birth), "<" if expiry == "<<<<<<" else check_digit(expiry)
    if kind == TD1:
        number, overflow = _number(fields, kind, 15)
        optional = _pad(
            overflow + _value(fields, "optional_data").replace(" ", "<"), 15, "optional_data"
        )
        optional_2 = _pad(_value(fields, "optional_data_2"), 11, "optional_data_2")
        line1 = code + issuing + number + optional
        line2 = birth + birth_cd + sex + expiry + expiry_cd + nationality + optional_2
        composite = check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
        return "\n".join((line1, line2 + composite, _name(fields, 30)))
    line1 = code + issuing + _name(fields, width - 5)
    if kind == TD2:
        number, overflow = _number(fields, kind, 7)
        optional = _pad(
            overflow + _value(fields, "optional_data").replace(" ", "<"), 7, "optional_data"
        )
        body = number + nationality + birth + birth_cd + sex + expiry + expiry_cd + optional
        return line1 + "\n" + body + check_digit(body[0:10] + body[13:20] + body[21:35])
    number, _ = _number(fields, kind, 0)
    head = number + nationality + birth + birth_cd + sex + expiry + expiry_cd
    if kind == TD3:
        personal = _pad(_value(fields, "optional_data"), 14, "optional_data")
        personal_cd = "<" if personal == "<" * 14 else check_digit(personal)
        body = head + personal + personal_cd
        return line1 + "\n" + body + check_digit(body[0:10] + body[13:20] + body[21:43])
    optional = _pad(_value(fields, "optional_data"), width - 28, "optional_data")
    return line1 + "\n" + head + optional
