"""Checking alert input against its category (sis/categories.py) and deriving what is indexed.

Pure functions (no database): the service, the import and the demo seeding all pass alerts
through `check_alert`, and `index_entries` gives the name keys and identifiers to store.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from granica import clock
from granica.errors import ValidationError
from granica.sis import name_matching
from granica.sis.categories import IDENTIFIER_KINDS, Category, FieldSpec, get_category

MAX_LIST_ITEMS = 20
# An arrest alert made unavailable to end users for an operation: only the SIRENE Bureau
# sees it, for at most this long each time, renewable (1862 Art 26(4); CH 25a, 26(1bis)).
SIRENE_ONLY_CATEGORIES = ("arrest",)
SIRENE_ONLY_HOURS = 48
MAX_SUPPLEMENTARY = 4000
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SCHENGEN_ID = re.compile(r"^[A-Z]{2}[A-Z0-9]{4,38}$")
_IDENT_STRIP = re.compile(r"[\s\-./]+")
_IDENT_OK = re.compile(r"^[A-Z0-9ĆČŠŽĐА-ЯЁЂЈЉЊЋЏ]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

# Keys an alert may carry at the top level on input; the read-only ones appear in the
# export shape and are accepted (and ignored) so that an export imports again.
INPUT_KEYS = {"category", "data", "schengen_id", "issuing_country", "supplementary_information",
              "sirene_only", "status", "review_date"}
READ_ONLY_KEYS = {"alert_id", "kind", "category_label", "summary", "action_to_be_taken",
                  "warnings", "created_at", "created_by", "validated_at", "validated_by",
                  "flags", "links", "misused_identity", "legal_basis", "updated_at",
                  "hidden_until"}  # a hiding for an operation is not carried by an import


class DuplicateAlertError(ValidationError):
    """The alert (its Schengen identifier, or the same object in the same category) exists."""

    http_status = 409
    code = "duplicate_alert"


@dataclass
class CheckedAlert:
    category: Category
    data: dict[str, Any]
    schengen_id: str | None
    issuing_country: str | None
    supplementary_information: str | None
    sirene_only: bool
    status: str | None
    review_date: dt.date | None
    extra: dict[str, Any] = field(default_factory=dict)


def _where(name: str, line: int | None) -> str:
    return f"line {line}: field '{name}'" if line is not None else f"field '{name}'"


def _fail(name: str, line: int | None, problem: str) -> ValidationError:
    details = {"line": line} if line is not None else {}
    return ValidationError(f"{_where(name, line)}: {problem}", field=name, **details)


def parse_date(value: Any, name: str, line: int | None = None) -> dt.date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _fail(name, line, f"'{value}' is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(name, line, f"'{value}' is not a date that exists (check day and month)") from None


def parse_partial_date(value: Any, name: str, line: int | None = None) -> str:
    """YYYY-MM-DD, YYYY-MM or YYYY (SIS allows unknown day or month); returned normalised."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise _fail(name, line, f"'{value}' is not a date in the form YYYY-MM-DD, YYYY-MM or YYYY")
    parts = [int(p) for p in value.split("-")]
    year, month, day = parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1
    try:
        first = dt.date(year, month, day)
    except ValueError:
        raise _fail(name, line, f"'{value}' is not a date that exists (check day and month)") from None
    if year < 1900:
        raise _fail(name, line, f"year {year} is before 1900")
    if first > clock.today():
        raise _fail(name, line, f"'{value}' is in the future")
    return value


def normalise_identifier(value: str) -> str:
    """Spaces, dashes, dots and slashes dropped, upper case: 'bg 123-ab' -> 'BG123AB'."""
    return _IDENT_STRIP.sub("", value).upper()[:64]


def _text(spec: FieldSpec, value: Any, name: str, line: int | None) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _fail(name, line, f"expected text, got {type(value).__name__}")
    text: str = value.strip()
    if len(text) > spec.max_length:
        raise _fail(name, line, f"too long ({len(text)} characters, at most {spec.max_length})")
    if _CONTROL.search(text):
        raise _fail(name, line, "contains control characters")
    return text


def _country(value: Any, name: str, line: int | None) -> str:
    if not isinstance(value, str) or not _COUNTRY.match(value.strip().upper()):
        raise _fail(name, line, f"'{value}' is not an ISO 3166 two-letter country code")
    return value.strip().upper()


def _list(value: Any, name: str, line: int | None) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(name, line, "expected a list")
    if len(value) > MAX_LIST_ITEMS:
        raise _fail(name, line, f"too many items ({len(value)}, at most {MAX_LIST_ITEMS})")
    return value


def _document(value: Any, name: str, line: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(name, line, "expected an object {type, number, country, issue_date}")
    unknown = set(value) - {"type", "number", "country", "issue_date"}
    if unknown:
        raise _fail(f"{name}.{min(unknown)}", line, "unknown field")
    out: dict[str, Any] = {}
    if not value.get("number"):
        raise _fail(f"{name}.number", line, "missing (mandatory)")
    out["number"] = _text(FieldSpec("number", "text", "", 30), value["number"], f"{name}.number", line)
    if value.get("type") is not None:
        out["type"] = _text(FieldSpec("type", "text", "", 30), value["type"], f"{name}.type", line)
    if value.get("country") is not None:
        out["country"] = _country(value["country"], f"{name}.country", line)
    if value.get("issue_date") is not None:
        issued = parse_date(value["issue_date"], f"{name}.issue_date", line)
        if issued > clock.today():
            raise _fail(f"{name}.issue_date", line, "is in the future")
        out["issue_date"] = issued.isoformat()
    return out


def check_value(spec: FieldSpec, value: Any, name: str, line: int | None = None) -> Any:
    """One field's value, checked and normalised for its kind."""
    kind = spec.kind
    if kind in ("text", "longtext"):
        text = _text(spec, value, name, line)
        if spec.identifier:
            norm = normalise_identifier(text)
            if not norm or not _IDENT_OK.match(norm):
                raise _fail(name, line, f"'{text}' is not a valid identifier (letters and digits)")
            if spec.identifier == "vin" and not _VIN.match(norm):
                raise _fail(name, line, f"'{text}' is not a VIN (17 characters, no I, O or Q)")
        return text
    if kind == "date":
        return parse_date(value, name, line).isoformat()
    if kind == "partial_date":
        return parse_partial_date(value, name, line)
    if kind == "country":
        return _country(value, name, line)
    if kind == "countries":
        items = value if isinstance(value, list) else [value]
        return sorted({_country(v, name, line) for v in _list(items, name, line)})
    if kind == "choice":
        if value not in spec.choices:
            raise _fail(name, line, f"'{value}' is not one of: {', '.join(spec.choices)}")
        return value
    if kind == "choices":
        items = _list(value, name, line)
        for v in items:
            if v not in spec.choices:
                raise _fail(name, line, f"'{v}' is not one of: {', '.join(spec.choices)}")
        return sorted(set(items))
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(name, line, "expected true or false")
        return value
    if kind in ("texts", "refs"):
        return [t for t in (_text(spec, v, name, line) for v in _list(value, name, line)) if t]
    if kind == "documents":
        return [_document(v, f"{name}[{i}]", line) for i, v in enumerate(_list(value, name, line))]
    if kind == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _fail(name, line, f"'{value}' is not a number") from None
        if not number.is_finite() or number < 0 or len(str(value)) > spec.max_length:
            raise _fail(name, line, f"'{value}' is not a positive amount")
        return str(number)
    raise _fail(name, line, f"field kind {kind} is not handled")  # pragma: no cover


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def check_data(category: Category, data: Any, line: int | None = None) -> dict[str, Any]:
    """The category's data checked field by field: unknown fields and missing mandatory ones fail."""
    if not isinstance(data, dict):
        raise _fail("data", line, "expected an object with the category's fields")
    specs = category.field_map
    for key in data:
        if key not in specs:
            raise _fail(f"data.{key}", line,
                        f"unknown field for category '{category.code}'; known fields: "
                        f"{', '.join(specs)}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if _empty(value):
            continue
        checked = check_value(specs[key], value, f"data.{key}", line)
        if not _empty(checked):
            out[key] = checked
    for key in category.mandatory:
        if key not in out:
            raise _fail(f"data.{key}", line,
                        f"missing: '{specs[key].label}' is mandatory for category '{category.code}'")
    return out


def check_alert(raw: Any, line: int | None = None) -> CheckedAlert:
    """A whole alert as the API, the forms and the import give it."""
    if not isinstance(raw, dict):
        raise _fail("alert", line, "expected a JSON object")
    for key in raw:
        if key not in INPUT_KEYS and key not in READ_ONLY_KEYS:
            raise _fail(str(key), line, f"unknown field; an alert has: {', '.join(sorted(INPUT_KEYS))}")
    if "category" not in raw:
        raise _fail("category", line, "missing (mandatory)")
    try:
        category = get_category(str(raw["category"]))
    except ValidationError as exc:
        raise _fail("category", line, exc.message) from None
    data = check_data(category, raw.get("data", {}), line)
    schengen_id = raw.get("schengen_id")
    if schengen_id is not None:
        if not isinstance(schengen_id, str) or not _SCHENGEN_ID.match(schengen_id.strip().upper()):
            raise _fail("schengen_id", line,
                        f"'{schengen_id}' is not a Schengen identifier (country code then 4-38 letters/digits)")
        schengen_id = schengen_id.strip().upper()
    country = raw.get("issuing_country")
    if country is not None:
        country = _country(country, "issuing_country", line)
    sup = raw.get("supplementary_information")
    if sup is not None:
        sup = _text(FieldSpec("supplementary_information", "longtext", "", MAX_SUPPLEMENTARY), sup,
                    "supplementary_information", line) or None
    sirene_only = raw.get("sirene_only", False)
    if not isinstance(sirene_only, bool):
        raise _fail("sirene_only", line, "expected true or false")
    if sirene_only and category.code not in SIRENE_ONLY_CATEGORIES:
        raise _fail("sirene_only", line,
                    f"a {category.code} alert cannot be kept for the SIRENE Bureau only: that is "
                    "for arrest alerts during an operation (1862 Art 26(4)), for at most "
                    f"{SIRENE_ONLY_HOURS} hours at a time")
    status = raw.get("status")
    if status is not None and status not in ("draft", "active"):
        raise _fail("status", line, f"'{status}' is not draft or active")
    review = raw.get("review_date")
    review_date = parse_date(review, "review_date", line) if review is not None else None
    return CheckedAlert(category, data, schengen_id, country, sup, sirene_only, status, review_date)


# --- what gets indexed -----------------------------------------------------------------------

def person_names(data: dict[str, Any]) -> list[str]:
    """Every name an alert is known under: the full name, names at birth, aliases."""
    names: list[str] = []
    full = " ".join(p for p in (data.get("forenames", ""), data.get("surname", "")) if p)
    if full:
        names.append(full)
    forenames = data.get("forenames", "")
    for n in data.get("names_at_birth", []):
        # a name at birth is usually a surname: pair it with the forenames
        names.append(n if " " in n or not forenames else f"{forenames} {n}")
    names.extend(data.get("aliases", []))
    return names


def birth_year(data: dict[str, Any]) -> int:
    dob = data.get("date_of_birth")
    return int(dob[:4]) if dob else 0


def index_entries(category: Category, data: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    """(blocking keys of the names, {(identifier kind, normalised value)})."""
    keys: set[str] = set()
    if category.kind == "person":
        for name in person_names(data):
            keys |= name_matching.blocking_keys(name)
    idents: set[tuple[str, str]] = set()
    for spec in category.identifier_fields:
        value = data.get(spec.name)
        if value:
            idents.add((spec.identifier or spec.name, normalise_identifier(value)))
    for doc in data.get("identity_documents", []):
        idents.add(("document", normalise_identifier(doc["number"])))
    return keys, idents


SHORT_LABELS = {k.code: k.short for k in IDENTIFIER_KINDS.values()}


def summary_of(category: Category, data: dict[str, Any]) -> str:
    """A short line naming the subject or object (shown in results and lists)."""
    if category.kind == "person":
        if not data.get("surname") and not data.get("forenames"):
            return f"{category.label} (identity unknown)"[:300]
        parts = [f"{data.get('surname', '').upper()} {data.get('forenames', '')}".strip()]
        if data.get("date_of_birth"):
            parts.append(f"born {data['date_of_birth']}")
        if data.get("sex"):
            parts.append(data["sex"])
        if data.get("nationalities"):
            parts.append("/".join(data["nationalities"]))
        return ", ".join(parts)[:300]
    bits = [category.label]
    for key in ("make", "model", "calibre", "currency", "face_value", "document_type"):
        if data.get(key):
            bits.append(str(data[key]))
    for spec in category.identifier_fields:
        if data.get(spec.name):
            bits.append(f"{SHORT_LABELS.get(spec.identifier or '', spec.name)} {data[spec.name]}")
    return " ".join(bits)[:300]
