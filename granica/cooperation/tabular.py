"""The agencies' spreadsheets: CSV (UTF-8, or a named encoding such as Windows-1250) and
XLSX files with one record a row, flat columns turned into the kinds' input shapes.

Every problem names the row and the column: an unknown column, an undecodable byte, a
number that is not one. Rows come out one at a time, so a large file is never all in memory.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from granica.errors import InputFormatError, ValidationError

COMMON = ("occurred_at", "bcp", "location", "shared_with", "notes")
GOODS = ("category", "quantity", "unit", "substance", "hs_code", "un_number", "cites_appendix",
         "species", "serials", "description")
PERSON = ("name", "nationality", "birth_date", "role", "phone", "document_number")
COLUMNS: dict[str, tuple[str, ...]] = {
    "seizure": COMMON + GOODS + (
        "vehicle_plate", "vehicle_country", "carrier", "origin", "destination",
        "transport_mode", "concealment", "detection", "value_eur")
    + tuple(f"person_{p}" for p in PERSON),
    "inspection": COMMON + (
        "ched_type", "ched_reference", "consignor", "consignee", "operator",
        "country_of_origin", "transport_mode", "transport_id", "hs_code", "net_weight_kg",
        "description", "documentary", "identity", "physical", "laboratory", "decision",
        "not_acceptable_action", "refusal_reasons"),
    "incident": COMMON + (
        "type", "stage", "detection", "direction", "impact_level", "persons_total", "minors",
        "nationalities", "transport_mode", "vehicle_plate", "description"),
    "case": COMMON + (
        "case_type", "stage", "title", "route", "victims", "minors", "unaccompanied_minors",
        "exploitation", "vehicles", "documents", "phones", "linked_records", "nrm_referral")
    + tuple(f"suspect_{p}" for p in PERSON),
}
LISTS = {"shared_with", "serials", "refusal_reasons", "nationalities", "route", "exploitation",
         "vehicles", "documents", "phones", "linked_records"}
NUMBERS = {"quantity", "value_eur", "net_weight_kg"}
INTEGERS = {"persons_total", "minors", "victims", "unaccompanied_minors"}
BOOLEANS = {"nrm_referral"}
UPPER = {"origin", "destination", "vehicle_country", "country_of_origin", "person_nationality",
         "suspect_nationality", "nationalities", "route"}


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


def _number(column: str, raw: str, where: str) -> float:
    try:
        return float(raw.strip().replace(" ", "").replace(",", "."))
    except ValueError:
        raise ValidationError(f"{where}: column '{column}': '{raw}' is not a number",
                              field=column) from None


def _integer(column: str, raw: str, where: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationError(f"{where}: column '{column}': '{raw}' is not a whole number",
                              field=column) from None


def _boolean(column: str, raw: str, where: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "yes", "true", "da", "y"):
        return True
    if text in ("0", "no", "false", "ne", "n", ""):
        return False
    raise ValidationError(f"{where}: column '{column}': '{raw}' is not yes or no", field=column)


def _list(_column: str, raw: str, _where: str) -> list[str]:
    return _split(raw.strip())


def _text(_column: str, raw: str, _where: str) -> str:
    return raw.strip()


def _upper(convert: Callable[[str, str, str], Any]) -> Callable[[str, str, str], Any]:
    return lambda column, raw, where: convert(column, raw.upper(), where)


@functools.cache
def _converter(column: str) -> Callable[[str, str, str], Any]:
    """How a column's cells become values, decided once per column rather than per cell."""
    if column in LISTS:
        convert: Callable[[str, str, str], Any] = _list
    elif column in NUMBERS:
        convert = _number
    elif column in INTEGERS:
        convert = _integer
    elif column in BOOLEANS:
        convert = _boolean
    else:
        convert = _text
    return _upper(convert) if column in UPPER else convert


# Columns that go into a nested part of the input, per kind: (part, output key, always given,
# as a one-item list); the other allowed columns are top-level fields.
_PARTS: dict[str, tuple[tuple[str, str, bool, bool], ...]] = {
    "seizure": (("goods", "goods", True, True), ("person", "persons", False, True)),
    "inspection": (("checks", "checks", True, False), ("commodity", "commodities", True, True)),
    "case": (("suspect", "suspects", False, True),),
}
_CHECKS = ("documentary", "identity", "physical", "laboratory")
_COMMODITY = ("hs_code", "net_weight_kg", "description")


def _part(kind: str, column: str) -> tuple[str | None, str]:
    """(nested part or None for a top-level field, the key the value gets there)."""
    if column in COMMON:
        return None, column
    if kind == "seizure":
        if column in GOODS:
            return "goods", column
        if column.startswith("person_"):
            return "person", column.removeprefix("person_")
    elif kind == "inspection":
        if column in _CHECKS:
            return "checks", column
        if column in _COMMODITY:
            return "commodity", column
    elif kind == "case" and column.startswith("suspect_"):
        return "suspect", column.removeprefix("suspect_")
    return None, column


Layout = Callable[[Sequence[str | None], str], dict[str, Any]]


@functools.lru_cache(maxsize=64)
def _layout(kind: str, header: tuple[str, ...]) -> Layout:
    """How the cells of a row under `header` become the kind's input, decided once per file:
    each allowed column's converter and place (goods, checks and the person become nested)."""
    allowed = set(COLUMNS[kind])
    fields = [(index, column, *_part(kind, column), _converter(column))
              for index, column in enumerate(header) if column in allowed]
    parts = _PARTS.get(kind, ())

    def build(cells: Sequence[str | None], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {name: {} for name, *_rest in parts}
        for index, column, part, key, convert in fields:
            raw = cells[index]
            if raw is None or not raw.strip():
                continue
            (out if part is None else nested[part])[key] = convert(column, raw, where)
        for name, key, always, as_list in parts:
            value = nested[name]
            if value or always:
                out[key] = [value] if as_list else value
        return out

    return build


def row_to_payload(kind: str, row: dict[str, str], where: str) -> dict[str, Any]:
    """A flat row as the kind's input: goods, checks and the person become nested."""
    return _layout(kind, tuple(row))(list(row.values()), where)


def _check_header(kind: str, header: list[str], source: str) -> list[str]:
    names = [h.strip().lower() for h in header]
    allowed = set(COLUMNS[kind])
    unknown = [h for h in names if h and h not in allowed]
    if unknown:
        raise ValidationError(
            f"{source}: unknown column(s) {', '.join(repr(u) for u in unknown)} for {kind} "
            f"records; the columns are: {', '.join(COLUMNS[kind])}", field="header")
    if "occurred_at" not in names:
        raise ValidationError(f"{source}: the header has no 'occurred_at' column",
                              field="header")
    return names


def read_csv(kind: str, stream: BinaryIO, source: str = "file",
             encoding: str = "utf-8") -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of a CSV file (header on line 1; `,` or `;` as separator) as (place, payload)."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"unknown encoding '{encoding}'; use utf-8, cp1250 or utf-16",
                              field="encoding") from None
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if encoding == "utf-8" else encoding,
                            errors="strict", newline="")
    line = 1
    try:
        first = text.readline()
        dialect = ";" if first.count(";") > first.count(",") else ","
        header = _check_header(kind, next(csv.reader([first], delimiter=dialect)), source)
        reader = csv.reader(text, delimiter=dialect)
        build = _layout(kind, tuple(header))
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise ValidationError(f"{source} line {line}: {len(cells)} cells, the header "
                                      f"has {len(header)}", field="row")
            where = f"{source} line {line}"
            yield where, build(cells, where)
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            f"{source} near line {line + 1}: bytes that are not {encoding} ({exc.reason}); save "
            "the sheet as CSV UTF-8, or give the file's encoding with --encoding (e.g. cp1250)",
            field="encoding") from None
    except csv.Error as exc:
        raise InputFormatError(f"{source} line {line}: {exc}", field="row") from None


def read_xlsx(kind: str, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of the first sheet of an XLSX workbook (header on row 1)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputFormatError(f"{path.name} is not a readable XLSX workbook ({exc}); save it "
                               "again from the spreadsheet program as .xlsx", field="file") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            return
        header = _check_header(kind, ["" if c is None else str(c) for c in first],
                               f"{path.name} sheet '{sheet.title}'")
        build = _layout(kind, tuple(header))
        for number, cells in enumerate(rows, start=2):
            if all(c is None or str(c).strip() == "" for c in cells):
                continue
            values = [_cell(c) for c in cells[:len(header)]]
            values += [""] * (len(header) - len(values))
            where = f"{path.name} sheet '{sheet.title}' row {number}"
            yield where, build(values, where)
    finally:
        book.close()


def _cell(value: Any) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
