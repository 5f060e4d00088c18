"""The SIRENE form catalogue, read from `forms.toml` (or the file the settings name), and the
checks a form passes before it is sent or after it arrives: every error names the form, the
field number and what to do."""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from granica.errors import ValidationError
from granica.settings import get_settings

DEFAULT_FILE = Path(__file__).resolve().parent / "forms.toml"
TYPES = ("text", "longtext", "date", "datetime", "country", "countries", "choice", "bool", "number")
TEXT_LIMIT = {"text": 200, "longtext": 8000}
COUNTRY = re.compile(r"^[A-Z]{2,3}$")


@dataclass(frozen=True)
class FieldSpec:
    no: str
    name: str
    label: str
    type: str
    mandatory: bool = False
    automatic: bool = False
    must_be_true: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    letter: str
    title: str
    status: str
    fields: tuple[FieldSpec, ...]
    reply_hours: float = 12.0
    categories: tuple[str, ...] = ()
    attachments_required: int = 0
    flags_alert: bool = False
    notice_reply_hours: dict[str, float] = field(default_factory=dict)
    # the field whose value picks the time to answer from `notice_reply_hours`
    reply_hours_field: str = "notice"
    # what no answer by the deadline counts as ("" = an overdue answer, as usual)
    silence: str = ""

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def reply_hours_for(self, fields: dict[str, Any]) -> float:
        """How long the other bureau has to answer this form (0: no answer is asked)."""
        key = str(fields.get(self.reply_hours_field) or "")
        return self.notice_reply_hours.get(key, self.reply_hours)


@dataclass(frozen=True)
class Catalogue:
    header: tuple[FieldSpec, ...]
    forms: dict[str, FormSpec]
    immediate_categories: frozenset[str]
    immediate_offences: frozenset[str]
    max_attachments: int
    max_attachment_bytes: int

    def form(self, letter: str) -> FormSpec:
        spec = self.forms.get((letter or "").strip().upper())
        if spec is None:
            raise ValidationError(f"there is no SIRENE form {letter!r}; the forms are "
                                  f"{', '.join(sorted(self.forms))}", field="form")
        return spec


class CatalogueError(ValueError):
    """The forms file is malformed: the message names the form and the field."""


def _field(raw: dict[str, Any], where: str) -> FieldSpec:
    try:
        spec = FieldSpec(no=str(raw["no"]), name=str(raw["name"]), label=str(raw["label"]),
                         type=str(raw.get("type", "text")), mandatory=bool(raw.get("mandatory")),
                         automatic=bool(raw.get("automatic")),
                         must_be_true=bool(raw.get("must_be_true")),
                         choices=tuple(str(c) for c in raw.get("choices", ())))
    except KeyError as exc:
        raise CatalogueError(f"{where}: a field lacks {exc.args[0]!r}") from None
    if spec.type not in TYPES:
        raise CatalogueError(f"{where}, field {spec.no}: type {spec.type!r} is not one of "
                             f"{', '.join(TYPES)}")
    if spec.type == "choice" and not spec.choices:
        raise CatalogueError(f"{where}, field {spec.no}: a choice needs its choices")
    return spec


SILENCE = ("", "no_objection")  # what an unanswered form may count as at its deadline


def _silence(value: Any, where: str) -> str:
    if value not in SILENCE:
        raise CatalogueError(f"{where}: silence {value!r} is not one of {', '.join(SILENCE[1:])}")
    return str(value)


def parse_catalogue(raw: dict[str, Any]) -> Catalogue:
    header = tuple(_field(f, "header") for f in raw.get("header", ()))
    forms: dict[str, FormSpec] = {}
    for letter, body in sorted(raw.get("forms", {}).items()):
        where = f"form {letter}"
        if not re.fullmatch(r"[A-Z]", letter):
            raise CatalogueError(f"{where}: a form is named by one capital letter")
        fields = tuple(_field(f, where) for f in body.get("fields", ()))
        names = [f.name for f in fields] + [f.name for f in header]
        if len(set(names)) != len(names):
            raise CatalogueError(f"{where}: a field name is used twice")
        forms[letter] = FormSpec(
            letter=letter, title=str(body.get("title", letter)),
            status=str(body.get("status", "unverified")), fields=fields,
            reply_hours=float(body.get("reply_hours", 12)),
            categories=tuple(body.get("categories", ())),
            attachments_required=int(body.get("attachments_required", 0)),
            flags_alert=bool(body.get("flags_alert")),
            notice_reply_hours={str(k): float(v) for k, v in body.get(
                "reply_hours_by", body.get("notice_reply_hours", {})).items()},
            reply_hours_field=str(body.get("reply_hours_field", "notice")),
            silence=_silence(body.get("silence", ""), where))
    if not forms:
        raise CatalogueError("the forms file declares no form")
    return Catalogue(header=header, forms=forms,
                     immediate_categories=frozenset(raw.get("immediate_categories", ())),
                     immediate_offences=frozenset(raw.get("immediate_offences", ())),
                     max_attachments=int(raw.get("max_attachments", 5)),
                     max_attachment_bytes=int(raw.get("max_attachment_bytes", 10 * 1024 * 1024)))


@functools.cache
def _load(path: Path) -> Catalogue:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"the SIRENE forms file {path} cannot be read: {exc}") from None
    try:
        return parse_catalogue(raw)
    except CatalogueError as exc:
        raise CatalogueError(f"{path}: {exc}") from None


def catalogue() -> Catalogue:
    return _load(get_settings().sirene_forms_file or DEFAULT_FILE)


# --- checking a form ----------------------------------------------------------------------


def _clean(spec: FieldSpec, value: Any, letter: str) -> Any:
    where = f"form {letter}, field {spec.no} ({spec.name})"
    if spec.type in ("text", "longtext"):
        text = str(value).strip()
        if len(text) > TEXT_LIMIT[spec.type]:
            raise ValidationError(f"{where}: at most {TEXT_LIMIT[spec.type]} characters",
                                  field=spec.name)
        return text
    if spec.type == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError(f"{where}: {value!r} is not a date (YYYY-MM-DD)",
                                  field=spec.name) from None
    if spec.type == "datetime":
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{where}: {value!r} is not a date and time "
                                  "(YYYY-MM-DDTHH:MM, UTC)", field=spec.name) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
    if spec.type in ("country", "countries"):
        items = value if isinstance(value, list) else re.split(r"[\s,;]+", str(value))
        codes = [str(c).strip().upper() for c in items if str(c).strip()]
        bad = [c for c in codes if not COUNTRY.match(c)]
        if bad:
            raise ValidationError(f"{where}: {', '.join(bad)} is not a country code (two or "
                                  "three capital letters)", field=spec.name)
        return codes[0] if spec.type == "country" and codes else codes
    if spec.type == "choice":
        text = str(value).strip()
        if text not in spec.choices:
            raise ValidationError(f"{where}: {text!r} is not one of "
                                  f"{', '.join(c for c in spec.choices if c)}", field=spec.name)
        return text
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        raise ValidationError(f"{where}: {value!r} is not yes or no", field=spec.name)
    try:  # number
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(f"{where}: {value!r} is not a whole number", field=spec.name) from None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def check_fields(specs: tuple[FieldSpec, ...], values: dict[str, Any], letter: str,
                 part: str) -> dict[str, Any]:
    known = {s.name: s for s in specs}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValidationError(f"form {letter} has no {part} field {', '.join(unknown)}; its "
                              f"fields are {', '.join(known)}", field=unknown[0])
    out: dict[str, Any] = {}
    missing = []
    for spec in specs:
        value = values.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.mandatory and not spec.automatic:
                missing.append(f"{spec.no} ({spec.label})")
            continue
        cleaned = _clean(spec, value, letter)
        if spec.must_be_true and cleaned is not True:
            raise ValidationError(f"form {letter}, field {spec.no} ({spec.label}) must be yes",
                                  field=spec.name)
        if not _empty(cleaned) or spec.type == "bool":
            out[spec.name] = cleaned
        elif spec.mandatory:
            missing.append(f"{spec.no} ({spec.label})")
    if missing:
        raise ValidationError(f"form {letter}: fill in the mandatory field"
                              f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                              field="fields")
    return out


def check_form(letter: str, header: dict[str, Any], fields: dict[str, Any],
               attachments: int = 0) -> tuple[FormSpec, dict[str, Any], dict[str, Any]]:
    """The form's spec and its header and fields cleaned; a ValidationError naming the field."""
    cat = catalogue()
    spec = cat.form(letter)
    head = check_fields(tuple(h for h in cat.header if not h.automatic),
                        {k: v for k, v in header.items()}, spec.letter, "header")
    if head.get("important") == "URGENT" and not head.get("urgent_reason"):
        raise ValidationError(f"form {spec.letter}, field 311: URGENT needs the reason "
                              "(field 311a)", field="urgent_reason")
    if head.get("important") == "GEOGRAPHIC_SEARCH" and not head.get("target_states"):
        raise ValidationError(f"form {spec.letter}, field 311: a geographic search needs the "
                              "target states (field 311b)", field="target_states")
    body = check_fields(spec.fields, fields, spec.letter, "form")
    if attachments < spec.attachments_required:
        raise ValidationError(f"form {spec.letter} needs {spec.attachments_required} attachment"
                              f"{'s' if spec.attachments_required > 1 else ''} (for A: the "
                              "arrest warrant, for L: the prints or pictures)",
                              field="attachments")
    return spec, head, body
