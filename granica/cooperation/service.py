"""The only code that changes cooperation data: shared records, subscriptions and their
notifications, joint risk profiles and the flags they give at border checks, links between
records. Permission checks and the audit log sit here, so API, pages and CLI agree."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gc
import queue
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, cast

import pydantic
import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.cooperation.codelists import CodeLists, codelists
from granica.cooperation.models import (
    CoopGoods,
    CoopKey,
    CoopNotification,
    CoopRecord,
    CoopShare,
    CoopSubscription,
    RiskProfile,
    RiskProfileHit,
)
from granica.cooperation.schemas import (
    INPUT_MODELS,
    CaseIn,
    Flag,
    IncidentIn,
    InspectionIn,
    NotificationOut,
    ProfileIn,
    ProfileOut,
    RecordBase,
    RecordList,
    RecordOut,
    ScreeningIn,
    SeizureIn,
    SubscriptionIn,
    SubscriptionOut,
)
from granica.errors import ConflictError, NotFoundError, ValidationError
from granica.storage import bulk_insert, new_id

SUBJECT = "coop_record"
READ, WRITE, PROFILES = "cooperation.read", "cooperation.write", "cooperation.profiles"
REFERENCE_PREFIX = {"seizure": "SZ", "inspection": "IN", "incident": "IC", "case": "CS"}
KEY_KINDS = ("vehicle", "company", "route", "commodity", "bcp", "person", "phone", "document",
             "ref")
# Earliest date a record may name: older paper files go to the archive, not here.
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
# Clocks of the agencies' machines differ a little; more than this ahead is a wrong date.
FUTURE_TOLERANCE = dt.timedelta(hours=1)


def code_lists() -> CodeLists:
    """The cooperation code lists (goods, FRAN indicators, ...), for other domains' reports."""
    return codelists()


# --- normalisation -------------------------------------------------------------------------

def _fold(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@functools.lru_cache(maxsize=65536)
def normalise_key(kind: str, value: str) -> str:
    """The form a key is stored and matched in: plates and numbers without spaces or dashes,
    company names folded, routes as ORIGIN>DESTINATION, commodities as digits.

    Cached: an import names the same carriers, routes and crossing points in row after row.
    """
    if kind not in KEY_KINDS:
        raise ValidationError(f"unknown key kind '{kind}'; use one of: {', '.join(KEY_KINDS)}",
                              field="kind")
    text = value.strip()
    if kind in ("vehicle", "document", "bcp", "ref"):
        out = text.upper()
        if not (out.isascii() and out.isalnum()):  # most plates and codes are already bare
            out = _NOT_ALNUM.sub("", _fold(text).upper())
    elif kind == "phone":
        out = re.sub(r"[^0-9]", "", text)
        if text.startswith("+"):
            out = "+" + out
    elif kind == "commodity":
        out = codelists().check_hs_code(text, field_name="value")
    elif kind == "route":
        parts = [p for p in re.split(r"[\s>\-–/,]+", text.upper()) if p]
        if len(parts) != 2 or not all(re.fullmatch(r"[A-Z]{2,3}", p) for p in parts):
            raise ValidationError(f"route '{value}' must be ORIGIN>DESTINATION country codes, "
                                  "e.g. TR>DE", field="value")
        out = f"{parts[0]}>{parts[1]}"
    elif kind == "company":
        out = " ".join(re.sub(r"[^0-9a-z]+", " ", _fold(text).casefold()).split())
        out = re.sub(r"\b(doo|d o o|ltd|llc|gmbh|srl|sa|ad|as|kft|spa|bv)\b", "", out).strip()
        out = " ".join(out.split())
    else:  # person
        from granica.names import to_latin

        out = " ".join(_fold(to_latin(text)).casefold().split())
    if not out:
        raise ValidationError(f"{kind} '{value}' has nothing to match on", field="value")
    return out[:200]


def _commodity_levels(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 8, 10) if len(code) >= n]


class _Key(NamedTuple):  # a tuple: an import makes several a row
    kind: str
    value: str
    label: str


@functools.lru_cache(maxsize=65536)
def _key_for(kind: str, value: str) -> _Key | None:
    """The key a value gives, or None when it has nothing to match on; computed once per
    distinct value (an import names the same carriers and crossing points row after row)."""
    try:
        return _Key(kind, normalise_key(kind, value), value)
    except ValidationError:
        return None


@functools.lru_cache(maxsize=4096)
def _commodity_keys(code: str) -> tuple[_Key, ...]:
    return tuple(_Key("commodity", level, code) for level in _commodity_levels(code))


# Kinds a new record's subscriptions are matched on but that get no coop_key rows: a record's
# crossing point is its indexed `bcp` column, which searches read instead (see `_naming`).
# Nor is a record's own reference a key (its `reference` column is unique): only the
# references a case links to are stored, as "ref" keys.
UNSTORED_KEYS = frozenset({"bcp"})


def _keys(kind: str, model: RecordBase, bcp: str | None) -> list[_Key]:
    """What a record names, each (kind, value) once, in the order named."""
    named: list[tuple[str, str | None]] = [("bcp", bcp)]
    levels: list[_Key] = []
    if isinstance(model, SeizureIn):
        named += (("vehicle", model.vehicle_plate), ("company", model.carrier))
        if model.origin and model.destination:
            named.append(("route", f"{model.origin}>{model.destination}"))
        for line in model.goods:
            if line.hs_code:
                levels += _commodity_keys(line.hs_code)
        for p in model.persons:
            named += (("person", p.name), ("phone", p.phone), ("document", p.document_number))
    elif isinstance(model, InspectionIn):
        named += (("company", model.consignor), ("company", model.consignee),
                  ("company", model.operator))
        if model.transport_mode in ("lorry", "car", "bus"):
            named.append(("vehicle", model.transport_id))
        for c in model.commodities:
            levels += _commodity_keys(c.hs_code)
    elif isinstance(model, IncidentIn):
        named.append(("vehicle", model.vehicle_plate))
    elif isinstance(model, CaseIn):
        for p in model.suspects:
            named += (("person", p.name), ("phone", p.phone), ("document", p.document_number))
        named += [("vehicle", plate) for plate in model.vehicles]
        named += [("document", doc) for doc in model.documents]
        named += [("phone", phone) for phone in model.phones]
        if len(model.route) >= 2:
            named.append(("route", f"{model.route[0]}>{model.route[-1]}"))
        named += [("ref", ref) for ref in model.linked_records]
    unique: dict[tuple[str, str], _Key] = {}
    for kind_, value in named:
        key = _key_for(kind_, value) if value else None
        if key is not None:
            unique.setdefault((key.kind, key.value), key)
    for key in levels:
        unique.setdefault((key.kind, key.value), key)
    return list(unique.values())


def _category(kind: str, model: RecordBase) -> str:
    if isinstance(model, SeizureIn):
        return model.goods[0].category
    if isinstance(model, InspectionIn):
        return model.ched_type
    if isinstance(model, IncidentIn):
        return model.type
    if isinstance(model, CaseIn):
        return model.case_type
    raise ValidationError(f"unknown record kind '{kind}'", field="kind")


def _summary(model: RecordBase) -> str:
    lists = codelists()
    if isinstance(model, SeizureIn):
        goods = "; ".join(
            f"{line.quantity:g} {line.unit} {lists.goods[line.category].label.lower()}"
            for line in model.goods)
        where = f" in vehicle {model.vehicle_plate}" if model.vehicle_plate else ""
        return f"Seizure: {goods}{where}"[:500]
    if isinstance(model, InspectionIn):
        return (f"{model.ched_type} consignment from {model.country_of_origin} "
                f"({model.consignor} to {model.consignee}): {model.decision}")[:500]
    if isinstance(model, IncidentIn):
        return (f"{lists.incident_types[model.type]}, {model.persons_total} persons, "
                f"impact {model.impact_level}")[:500]
    if isinstance(model, CaseIn):
        return f"{lists.case['types'][model.case_type]}: {model.title}"[:500]
    return ""


def _persons(model: RecordBase) -> int:
    if isinstance(model, SeizureIn):
        return len(model.persons)
    if isinstance(model, IncidentIn):
        return model.persons_total
    if isinstance(model, CaseIn):
        return model.victims
    return 0


def _personal(model: RecordBase) -> bool:
    if isinstance(model, SeizureIn):
        return bool(model.persons)
    return isinstance(model, CaseIn)


def parse_record(kind: str, payload: dict[str, Any], where: str = "") -> RecordBase:
    """Validate a payload of one kind; errors name the field (and `where`, e.g. a CSV row)."""
    model = INPUT_MODELS.get(kind)
    if model is None:
        raise ValidationError(f"unknown record kind '{kind}'; use one of: "
                              f"{', '.join(INPUT_MODELS)}", field="kind")
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"]) or "(record)"
        message = str(first["msg"]).removeprefix("Value error, ")
        prefix = f"{where}: " if where else ""
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ValidationError(f"{prefix}field '{field_name}': {message}{more}",
                              field=field_name) from None


def _check_when(model: RecordBase, where: str = "", now: dt.datetime | None = None
                ) -> dt.datetime:
    when = model.occurred_at
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(dt.UTC)
    prefix = f"{where}: " if where else ""
    if when < EARLIEST:
        raise ValidationError(f"{prefix}field 'occurred_at': {when.date()} is before "
                              f"{EARLIEST.date()}; check the year", field="occurred_at")
    if when > (now or clock.now()) + FUTURE_TOLERANCE:
        raise ValidationError(f"{prefix}field 'occurred_at': {when.isoformat()} is in the "
                              "future; give the time it happened (UTC or with an offset)",
                              field="occurred_at")
    return when


def _crossing_points(session: Session) -> frozenset[str]:
    from granica.border import service as border

    return frozenset(p.code for p, _lanes in border.list_crossing_points(session))


def _check_bcp(bcp: str | None, known: frozenset[str], where: str = "") -> str | None:
    """`bcp` if it is one of the `known` crossing points (any, while none is configured)."""
    if not bcp:
        return None
    if known and bcp not in known:
        prefix = f"{where}: " if where else ""
        raise ValidationError(f"{prefix}field 'bcp': unknown border crossing point '{bcp}'; use "
                              f"one of: {', '.join(sorted(known))}", field="bcp")
    return bcp


# --- visibility ----------------------------------------------------------------------------

def _visible(principal: Principal) -> sa.ColumnElement[bool]:
    """Owner, shared with the caller's agency, or shared with everyone."""
    shared = sa.exists().where(CoopShare.record_id == CoopRecord.id,
                               CoopShare.agency == principal.agency)
    return sa.or_(CoopRecord.owner_agency == principal.agency, CoopRecord.shared_all, shared)


def _shares(session: Session, record_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {rid: [] for rid in record_ids}
    if record_ids:
        for rid, agency in session.execute(
                sa.select(CoopShare.record_id, CoopShare.agency)
                .where(CoopShare.record_id.in_(record_ids))):
            out[rid].append(agency)
    return out


def _out(row: CoopRecord, shares: list[str]) -> RecordOut:
    return RecordOut(
        id=row.id, reference=row.reference, kind=row.kind, category=row.category,
        owner_agency=row.owner_agency, created_by=row.created_by, created_at=row.created_at,
        occurred_at=row.occurred_at, bcp=row.bcp,
        shared_with=["*"] if row.shared_all else sorted(shares), summary=row.summary,
        data=row.data, version=row.version)


def _load_visible(session: Session, principal: Principal, record_id: str, purpose: str,
                  action: str) -> CoopRecord:
    audit.require(session, principal, READ, action=action, subject_type=SUBJECT,
                  subject_ids=[record_id], purpose=purpose, what="read inter-agency records")
    row = session.get(CoopRecord, record_id)
    if row is None:
        row = session.scalars(sa.select(CoopRecord).where(CoopRecord.reference == record_id)
                              ).first()
    if row is None:
        raise NotFoundError(f"no cooperation record '{record_id}'; search the records list")
    visible = session.scalar(sa.select(sa.func.count()).select_from(CoopRecord)
                             .where(CoopRecord.id == row.id, _visible(principal)))
    if not visible:
        audit.deny(session, principal, READ, action=action, subject_type=SUBJECT,
                   subject_ids=[row.id], purpose=purpose,
                   what=f"see record {row.reference} of {row.owner_agency} (not shared with "
                        f"{principal.agency})")
    return row


# --- records -------------------------------------------------------------------------------

@dataclass
class _Prepared:
    row: dict[str, Any]
    keys: list[_Key]
    goods: list[dict[str, Any]]
    shares: list[str]


@functools.lru_cache(maxsize=256)
def _shares_of(kind: str, owner: str, shared_with: tuple[str, ...]) -> tuple[str, ...]:
    """The agencies a record is shared with: the kind's rule and those it names, not its
    owner; an import gives the same few combinations row after row."""
    rule = set(codelists().sharing.get(kind, ()))
    return tuple(sorted((rule | set(shared_with)) - {"*", owner}))


def _prepare(principal: Principal, kind: str, model: RecordBase, now: dt.datetime,
             bcp_codes: frozenset[str], where: str = "", batch: str | None = None,
             record_id: str | None = None) -> _Prepared:
    """The rows of one record, checked against `bcp_codes` (the known crossing points). Reads
    no session: the import runs it in a thread of its own."""
    when = _check_when(model, where, now)
    bcp = _check_bcp(model.bcp, bcp_codes, where)
    record_id = record_id or new_id()
    from granica.settings import get_settings

    reference = (f"{REFERENCE_PREFIX[kind]}-{get_settings().country}-{when.year}-"
                 f"{secrets.token_hex(5).upper()}")
    data = model.model_dump(mode="json", exclude={"occurred_at", "bcp", "shared_with"})
    shared_all = "*" in model.shared_with
    shares = list(_shares_of(kind, principal.agency, tuple(model.shared_with)))
    row = {"id": record_id, "reference": reference, "kind": kind,
           "category": _category(kind, model), "owner_agency": principal.agency,
           "created_by": principal.username, "created_at": now, "updated_at": now,
           "occurred_at": when, "bcp": bcp, "shared_all": shared_all,
           "personal": _personal(model), "persons": _persons(model), "summary": _summary(model), "data": data,
           "version": 1, "import_batch": batch}
    goods: list[dict[str, Any]] = []
    if isinstance(model, SeizureIn):
        lists = codelists()
        for line in model.goods:
            category = lists.goods[line.category]
            limit = category.substance_thresholds.get(line.substance or "", category.threshold)
            goods.append({"record_id": record_id, "category": line.category,
                          "substance": line.substance, "quantity": line.quantity,
                          "unit": line.unit or category.unit, "hs_code": line.hs_code,
                          "un_number": line.un_number,
                          "over_threshold": limit is not None and line.quantity >= limit})
    return _Prepared(row, _keys(kind, model, bcp), goods, shares)


def _table(model: type[Any]) -> sa.Table:
    return cast(sa.Table, model.__table__)


def _key_rows(record_id: str, keys: Iterable[_Key]) -> list[dict[str, Any]]:
    return [{"record_id": record_id, "kind": k.kind, "value": k.value, "label": k.label[:200]}
            for k in keys if k.kind not in UNSTORED_KEYS]


def _insert(session: Session, prepared: Sequence[_Prepared]) -> None:
    """The records with their shares, keys and goods lines: one bulk insert per table."""
    if not prepared:
        return
    bulk_insert(session, _table(CoopRecord), [p.row for p in prepared])
    bulk_insert(session, _table(CoopShare), [{"record_id": p.row["id"], "agency": a}
                                             for p in prepared for a in p.shares])
    bulk_insert(session, _table(CoopKey), [row for p in prepared
                                           for row in _key_rows(p.row["id"], p.keys)])
    bulk_insert(session, _table(CoopGoods), [g for p in prepared for g in p.goods])


def create_record(session: Session, principal: Principal, kind: str,
                  payload: dict[str, Any] | RecordBase, purpose: str,
                  notify_shift: bool = False) -> RecordOut:
    """Record a seizure, inspection, incident or case for the caller's agency.

    Agencies that subscribed to something the record names, and that may see it, are
    notified; `notify_shift` also sends an urgent notice to the shift at its crossing point.
    """
    audit.require(session, principal, WRITE, action=f"cooperation.{kind}.create",
                  subject_type=SUBJECT, purpose=purpose, what=f"record a {kind}")
    model = payload if isinstance(payload, RecordBase) else parse_record(kind, payload)
    if type(model) is not INPUT_MODELS.get(kind):
        raise ValidationError(f"a {kind} was expected", field="kind")
    now = clock.now()
    prepared = _prepare(principal, kind, model, now,
                        _crossing_points(session) if model.bcp else frozenset())
    _insert(session, [prepared])
    row = prepared.row
    audit.record(session, principal, f"cooperation.{kind}.create", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=[row["id"]], result_count=1,
                 details={"reference": row["reference"]})
    _notify_subscribers(session, [prepared], now)
    _resolve_flags(session, prepared, now)
    if notify_shift and row["bcp"]:
        session.add(CoopNotification(
            agency="BORDER_POLICE", bcp=row["bcp"], record_id=row["id"], urgent=True,
            message=f"Urgent from {principal.agency}: {row['summary']}"[:500], created_at=now))
    session.flush()
    stored = session.get(CoopRecord, row["id"])
    assert stored is not None
    return _out(stored, prepared.shares)


def get_record(session: Session, principal: Principal, record_id: str, purpose: str) -> RecordOut:
    row = _load_visible(session, principal, record_id, purpose, "cooperation.read")
    audit.record(session, principal, "cooperation.read", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[row.id], result_count=1, details={"reference": row.reference})
    return _out(row, _shares(session, [row.id])[row.id])


def _reference_forms(value: str) -> list[str]:
    """The reference a normalised "ref" key value stands for (PREFIX-COUNTRY-YEAR-HEX), so
    that the unique reference column answers it; none when the value has not that shape."""
    prefix, country, year, serial = value[:2], value[2:-14], value[-14:-10], value[-10:]
    if prefix not in REFERENCE_PREFIX.values() or not country or not year.isdigit():
        return []
    return [f"{prefix}-{country}-{year}-{serial}"]


def _record_bcps(session: Session) -> set[str]:
    """The crossing points the records name, one index probe per point (a DISTINCT would read
    the whole index of a million records)."""
    found: set[str] = set()
    query = sa.select(CoopRecord.bcp).order_by(CoopRecord.bcp).limit(1)
    last = session.scalar(query.where(CoopRecord.bcp.is_not(None)))
    while last is not None:
        found.add(last)
        last = session.scalar(query.where(CoopRecord.bcp > last))
    return found


def _naming(session: Session, kind: str, value: str) -> sa.ColumnElement[bool]:
    """Records that name the normalised key (kind, value): a record's crossing point and its
    own reference are read from its columns, everything else from its coop_key rows."""
    if kind == "bcp":
        known = _crossing_points(session) | _record_bcps(session)
        return CoopRecord.bcp.in_(sorted(c for c in known if _safe_key("bcp", c) == value))
    keyed = CoopRecord.id.in_(sa.select(CoopKey.record_id).where(CoopKey.kind == kind,
                                                                 CoopKey.value == value))
    if kind == "ref":
        return sa.or_(CoopRecord.reference.in_(_reference_forms(value)), keyed)
    return keyed


def list_records(session: Session, principal: Principal, purpose: str, *,
                 kind: str | None = None, bcp: str | None = None, key_kind: str | None = None,
                 key_value: str | None = None, since: dt.datetime | None = None,
                 until: dt.datetime | None = None, limit: int = 50,
                 offset: int = 0) -> RecordList:
    """Records the caller's agency may see, newest first, filtered; the search is audited
    with every record it returned."""
    audit.require(session, principal, READ, action="cooperation.search", subject_type=SUBJECT,
                  purpose=purpose, what="search inter-agency records")
    if kind is not None and kind not in INPUT_MODELS:
        raise ValidationError(f"unknown record kind '{kind}'; use one of: "
                              f"{', '.join(INPUT_MODELS)}", field="kind")
    if not 1 <= limit <= 500:
        raise ValidationError("limit must be between 1 and 500", field="limit")
    where: list[sa.ColumnElement[bool]] = [_visible(principal)]
    if kind:
        where.append(CoopRecord.kind == kind)
    if bcp:
        where.append(CoopRecord.bcp == bcp)
    if since:
        where.append(CoopRecord.occurred_at >= since)
    if until:
        where.append(CoopRecord.occurred_at < until)
    if key_kind and key_value:
        where.append(_naming(session, key_kind, normalise_key(key_kind, key_value)))
    total = int(session.scalar(sa.select(sa.func.count()).select_from(CoopRecord)
                               .where(*where)) or 0)
    rows = list(session.scalars(sa.select(CoopRecord).where(*where)
                                .order_by(CoopRecord.occurred_at.desc(), CoopRecord.id)
                                .limit(limit).offset(offset)))
    shares = _shares(session, [r.id for r in rows])
    audit.record(session, principal, "cooperation.search", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=[r.id for r in rows],
                 query={"kind": kind, "bcp": bcp, "key_kind": key_kind, "key_value": key_value,
                        "since": since.isoformat() if since else None,
                        "until": until.isoformat() if until else None},
                 result_count=len(rows))
    return RecordList(records=[_out(r, shares[r.id]) for r in rows], total=total)


def update_record(session: Session, principal: Principal, record_id: str,
                  payload: dict[str, Any], purpose: str, expected_version: int) -> RecordOut:
    """Change a record: only its owner agency may, and only from the version it last read."""
    row = _load_visible(session, principal, record_id, purpose, "cooperation.update")
    audit.require(session, principal, WRITE, action="cooperation.update", subject_type=SUBJECT,
                  subject_ids=[row.id], purpose=purpose, what="change inter-agency records")
    if row.owner_agency != principal.agency:
        audit.deny(session, principal, WRITE, action="cooperation.update", subject_type=SUBJECT,
                   subject_ids=[row.id], purpose=purpose,
                   what=f"change record {row.reference}: it belongs to {row.owner_agency}; ask "
                        "them to correct it")
    if row.version != expected_version:
        raise ConflictError(f"record {row.reference} changed since you read it (version "
                            f"{row.version}, you sent {expected_version}); reload and redo "
                            "your change", field="version")
    model = parse_record(row.kind, payload)
    now = clock.now()
    prepared = _prepare(principal, row.kind, model, now,
                        _crossing_points(session) if model.bcp else frozenset())
    session.execute(sa.delete(CoopKey).where(CoopKey.record_id == row.id))
    session.execute(sa.delete(CoopGoods).where(CoopGoods.record_id == row.id))
    session.execute(sa.delete(CoopShare).where(CoopShare.record_id == row.id))
    values = prepared.row
    for name in ("category", "occurred_at", "bcp", "shared_all", "personal", "persons",
                 "summary", "data"):
        setattr(row, name, values[name])
    row.updated_at = now
    row.version += 1
    session.flush()
    keys = _key_rows(row.id, prepared.keys)
    if keys:
        session.execute(sa.insert(CoopKey), keys)
    if prepared.goods:
        session.execute(sa.insert(CoopGoods), [{**g, "record_id": row.id}
                                               for g in prepared.goods])
    if prepared.shares:
        session.execute(sa.insert(CoopShare), [{"record_id": row.id, "agency": a}
                                               for a in prepared.shares])
    audit.record(session, principal, "cooperation.update", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[row.id], result_count=1,
                 details={"reference": row.reference, "version": row.version})
    return _out(row, prepared.shares)


# --- subscriptions and notifications --------------------------------------------------------

def subscribe(session: Session, principal: Principal, request: SubscriptionIn,
              purpose: str) -> SubscriptionOut:
    """Ask to be told when another agency records something naming this key.

    A key that already names more records than the configured limit is refused: the
    agency would be flooded and nobody reads a flood.
    """
    audit.require(session, principal, READ, action="cooperation.subscribe",
                  subject_type=SUBJECT, purpose=purpose, what="subscribe to shared records")
    value = normalise_key(request.kind, request.value)
    limit = codelists().limits["subscription_max_matches"]
    matches = int(session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(CoopRecord.id).where(_naming(session, request.kind, value))
        .limit(limit + 1).subquery())) or 0)
    if matches > limit:
        raise ValidationError(
            f"subscription to {request.kind} '{request.value}' would already match more than "
            f"{limit:,} records; subscribe to something narrower (a vehicle, a company or a "
            "commodity instead of a whole crossing point)", field="value")
    existing = session.scalars(sa.select(CoopSubscription).where(
        CoopSubscription.agency == principal.agency, CoopSubscription.kind == request.kind,
        CoopSubscription.value == value, CoopSubscription.active)).first()
    if existing is not None:
        raise ConflictError(f"{principal.agency} already subscribes to {request.kind} "
                            f"'{request.value}'", field="value")
    row = CoopSubscription(agency=principal.agency, kind=request.kind, value=value,
                           label=request.value, urgent=request.urgent, bcp=request.bcp,
                           created_by=principal.username, created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, principal, "cooperation.subscribe", purpose=purpose,
                 subject_type="coop_subscription", subject_ids=[row.id],
                 details={"kind": request.kind, "value": value})
    return _subscription_out(row)


def _subscription_out(row: CoopSubscription) -> SubscriptionOut:
    return SubscriptionOut(id=row.id, agency=row.agency, kind=row.kind, value=row.value,
                           label=row.label, urgent=row.urgent, bcp=row.bcp,
                           created_at=row.created_at, active=row.active)


def list_subscriptions(session: Session, principal: Principal) -> list[SubscriptionOut]:
    audit.require(session, principal, READ, action="cooperation.subscriptions",
                  subject_type="coop_subscription", what="see subscriptions")
    rows = session.scalars(sa.select(CoopSubscription).where(
        CoopSubscription.agency == principal.agency, CoopSubscription.active)
        .order_by(CoopSubscription.created_at.desc()))
    return [_subscription_out(r) for r in rows]


def cancel_subscription(session: Session, principal: Principal, subscription_id: str,
                        purpose: str) -> None:
    audit.require(session, principal, READ, action="cooperation.unsubscribe",
                  subject_type="coop_subscription", subject_ids=[subscription_id],
                  purpose=purpose, what="cancel subscriptions")
    row = session.get(CoopSubscription, subscription_id)
    if row is None or row.agency != principal.agency or not row.active:
        raise NotFoundError(f"no active subscription '{subscription_id}' of {principal.agency}")
    row.active = False
    audit.record(session, principal, "cooperation.unsubscribe", purpose=purpose,
                 subject_type="coop_subscription", subject_ids=[row.id])


@dataclass(frozen=True)
class _Subscriptions:
    """The (kind, value) keys of the active subscriptions, read once for an import so that
    a chunk of rows asks the database only about the keys somebody subscribed to."""

    keys: frozenset[tuple[str, str]]

    @classmethod
    def load(cls, session: Session) -> _Subscriptions:
        return cls(frozenset((str(k), str(v)) for k, v in session.execute(
            sa.select(CoopSubscription.kind, CoopSubscription.value)
            .where(CoopSubscription.active).distinct())))


def _notify_subscribers(session: Session, prepared: Sequence[_Prepared],
                        now: dt.datetime, subscriptions: _Subscriptions | None = None) -> int:
    """Notices for every active subscription a new record names (not the owner's own)."""
    if subscriptions is not None and not subscriptions.keys:
        return 0  # nobody subscribed to anything
    by_key: dict[tuple[str, str], list[_Prepared]] = {}
    for p in prepared:
        for k in p.keys:
            if subscriptions is None or (k.kind, k.value) in subscriptions.keys:
                by_key.setdefault((k.kind, k.value), []).append(p)
    if not by_key:
        return 0
    values = {v for _k, v in by_key}
    subs = session.scalars(sa.select(CoopSubscription).where(
        CoopSubscription.active, CoopSubscription.value.in_(values))).all()
    notices: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for sub in subs:
        for p in by_key.get((sub.kind, sub.value), ()):
            row = p.row
            allowed = row["shared_all"] or sub.agency in p.shares
            if sub.agency == row["owner_agency"] or not allowed:
                continue
            if (sub.id, row["id"]) in seen:
                continue
            seen.add((sub.id, row["id"]))
            notices.append({
                "id": new_id(), "agency": sub.agency, "bcp": sub.bcp, "record_id": row["id"],
                "subscription_id": sub.id, "urgent": sub.urgent, "created_at": now,
                "message": (f"{row['owner_agency']} recorded {row['reference']} naming "
                            f"{sub.kind} {sub.label}: {row['summary']}")[:500]})
    if notices:
        session.execute(sa.insert(CoopNotification), notices)
    return len(notices)


def notifications(session: Session, principal: Principal, *, unread_only: bool = True,
                  limit: int = 100) -> list[NotificationOut]:
    """The caller's agency's notices; a user at a crossing point also gets that shift's."""
    audit.require(session, principal, READ, action="cooperation.notifications",
                  subject_type=SUBJECT, what="see notifications")
    where = [CoopNotification.agency == principal.agency]
    if principal.station:
        where.append(sa.or_(CoopNotification.bcp.is_(None),
                            CoopNotification.bcp == principal.station))
    if unread_only:
        where.append(CoopNotification.read_at.is_(None))
    rows = session.execute(
        sa.select(CoopNotification, CoopRecord.reference)
        .join(CoopRecord, CoopRecord.id == CoopNotification.record_id).where(*where)
        .order_by(CoopNotification.urgent.desc(), CoopNotification.created_at.desc(),
                  CoopNotification.id).limit(limit)).all()
    return [NotificationOut(id=n.id, record_id=n.record_id, record_reference=ref,
                            urgent=n.urgent, bcp=n.bcp, message=n.message,
                            created_at=n.created_at, read_at=n.read_at) for n, ref in rows]


def mark_read(session: Session, principal: Principal, notification_id: str) -> None:
    audit.require(session, principal, READ, action="cooperation.notifications",
                  subject_type=SUBJECT, what="see notifications")
    row = session.get(CoopNotification, notification_id)
    if row is None or row.agency != principal.agency:
        raise NotFoundError(f"no notification '{notification_id}' for {principal.agency}")
    if row.read_at is None:
        row.read_at = clock.now()
        row.read_by = principal.username


# --- risk profiles --------------------------------------------------------------------------

def create_profile(session: Session, principal: Principal, request: ProfileIn,
                   purpose: str) -> ProfileOut:
    """A risk profile written by the caller's agency together with `request.agencies`."""
    audit.require(session, principal, PROFILES, action="cooperation.profile.create",
                  subject_type="coop_profile", purpose=purpose, what="write risk profiles")
    from granica.auth.permissions import AGENCIES

    for code in request.agencies:
        if code not in AGENCIES:
            raise ValidationError(f"unknown agency '{code}'", field="agencies")
    now = clock.now()
    valid_from = request.valid_from or now
    if request.valid_to is not None and request.valid_to <= valid_from:
        raise ValidationError("valid_to must be after valid_from", field="valid_to")
    row = RiskProfile(name=request.name, reason=request.reason,
                      criteria=request.criteria.model_dump(mode="json", exclude_defaults=True),
                      agencies=sorted({principal.agency, *request.agencies}),
                      created_by=principal.username, created_at=now, updated_at=now,
                      valid_from=valid_from, valid_to=request.valid_to)
    session.add(row)
    session.flush()
    audit.record(session, principal, "cooperation.profile.create", purpose=purpose,
                 subject_type="coop_profile", subject_ids=[row.id], details={"name": row.name})
    return _profile_out(row, {})


def retire_profile(session: Session, principal: Principal, profile_id: str, reason: str,
                   purpose: str) -> ProfileOut:
    """Stop a profile (e.g. a weak one by its hit rate); only an agency that wrote it may."""
    audit.require(session, principal, PROFILES, action="cooperation.profile.retire",
                  subject_type="coop_profile", subject_ids=[profile_id], purpose=purpose,
                  what="retire risk profiles")
    row = session.get(RiskProfile, profile_id)
    if row is None:
        raise NotFoundError(f"no risk profile '{profile_id}'")
    if principal.agency not in row.agencies:
        audit.deny(session, principal, PROFILES, action="cooperation.profile.retire",
                   subject_type="coop_profile", subject_ids=[row.id], purpose=purpose,
                   what=f"retire profile '{row.name}' written by {', '.join(row.agencies)}")
    if not reason.strip():
        raise ValidationError("say why the profile is retired", field="reason")
    row.active = False
    row.retired_reason = reason.strip()[:300]
    row.updated_at = clock.now()
    audit.record(session, principal, "cooperation.profile.retire", purpose=purpose,
                 subject_type="coop_profile", subject_ids=[row.id], details={"reason": reason})
    return _profile_out(row, hit_rates(session, [row.id]))


def hit_rates(session: Session, profile_ids: Sequence[str] | None = None,
              since: dt.datetime | None = None,
              until: dt.datetime | None = None) -> dict[str, tuple[int, int, int]]:
    """(flags, found, nothing found) per profile: the hit rate is found / (found + nothing)."""
    found = sa.func.sum(sa.case((RiskProfileHit.outcome == "found", 1), else_=0))
    nothing = sa.func.sum(sa.case((RiskProfileHit.outcome == "nothing", 1), else_=0))
    q = sa.select(RiskProfileHit.profile_id, sa.func.count(), found, nothing).group_by(
        RiskProfileHit.profile_id)
    if profile_ids is not None:
        q = q.where(RiskProfileHit.profile_id.in_(profile_ids))
    if since is not None:
        q = q.where(RiskProfileHit.flagged_at >= since)
    if until is not None:
        q = q.where(RiskProfileHit.flagged_at < until)
    return {pid: (int(n), int(f or 0), int(x or 0)) for pid, n, f, x in session.execute(q)}


def _profile_out(row: RiskProfile, rates: dict[str, tuple[int, int, int]]) -> ProfileOut:
    flags, found, nothing = rates.get(row.id, (0, 0, 0))
    resolved = found + nothing
    return ProfileOut(id=row.id, name=row.name, reason=row.reason, criteria=row.criteria,
                      agencies=row.agencies, created_by=row.created_by,
                      valid_from=row.valid_from, valid_to=row.valid_to, active=row.active,
                      flags=flags, found=found, nothing_found=nothing,
                      hit_rate=round(found / resolved, 3) if resolved else None)


def list_profiles(session: Session, principal: Principal,
                  include_retired: bool = False) -> list[ProfileOut]:
    audit.require(session, principal, READ, action="cooperation.profiles",
                  subject_type="coop_profile", what="see risk profiles")
    q = sa.select(RiskProfile).order_by(RiskProfile.created_at.desc())
    if not include_retired:
        q = q.where(RiskProfile.active)
    rows = list(session.scalars(q))
    rates = hit_rates(session, [r.id for r in rows])
    return [_profile_out(r, rates) for r in rows]


@dataclass(frozen=True)
class _Facts:
    """A check's facts in the form profiles compare them in, normalised once per check
    rather than once per profile."""

    bcp: str | None
    direction: str | None
    nationality: str | None
    origin: str | None
    destination: str | None
    carrier: str
    commodity: str
    vehicle: str

    @classmethod
    def of(cls, facts: ScreeningIn) -> _Facts:
        return cls(bcp=facts.bcp, direction=facts.direction, nationality=facts.nationality,
                   origin=facts.origin, destination=facts.destination,
                   carrier=_safe_key("company", facts.carrier or ""),
                   commodity=re.sub(r"[\s.]", "", facts.commodity or ""),
                   vehicle=_safe_key("vehicle", facts.vehicle_plate or ""))


_Test = Callable[[_Facts, dt.datetime], bool]
# Criteria that compare one fact with a set of values, in the order a profile is indexed
# by: the first it has (the most selective, a carrier, first) is its candidate key.
_INDEXED = ("carrier", "nationality", "origin", "destination", "bcp", "direction")


@dataclass(frozen=True)
class _Compiled:
    id: str
    name: str
    reason: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    tests: tuple[tuple[str, _Test], ...]
    # (fact, the values any one of which it must have), or None: checked at every crossing
    key: tuple[str, frozenset[str]] | None


def _compile(row: RiskProfile) -> _Compiled:
    c = row.criteria
    tests: list[tuple[str, _Test]] = []
    sets: dict[str, frozenset[str]] = {}

    def among(name: str, field_name: str, wanted: Iterable[str]) -> None:
        values = frozenset(wanted)
        sets[field_name] = values
        tests.append((name, lambda f, _t: getattr(f, field_name) in values))

    if c.get("bcp"):
        among("crossing point", "bcp", c["bcp"])
    if c.get("direction"):
        among("direction", "direction", [c["direction"]])
    if c.get("nationality"):
        among("nationality", "nationality", c["nationality"])
    if c.get("origin"):
        among("origin", "origin", c["origin"])
    if c.get("destination"):
        among("destination", "destination", c["destination"])
    if c.get("carrier"):
        carriers = frozenset(normalise_key("company", v) for v in c["carrier"])
        sets["carrier"] = carriers
        tests.append(("carrier", lambda f, _t: bool(f.carrier) and f.carrier in carriers))
    if c.get("commodity"):
        prefixes = tuple(c["commodity"])
        tests.append(("commodity", lambda f, _t: bool(f.commodity)
                      and f.commodity.startswith(prefixes)))
    if c.get("vehicle_plate_prefix"):
        plates = tuple(normalise_key("vehicle", v) for v in c["vehicle_plate_prefix"])
        tests.append(("vehicle", lambda f, _t: bool(f.vehicle) and f.vehicle.startswith(plates)))
    if c.get("hours"):
        start, end = int(c["hours"][0]), int(c["hours"][1])
        tests.append(("time of day", lambda _f, t: (start <= t.hour < end) if start < end
                      else (t.hour >= start or t.hour < end)))
    key = next(((name, sets[name]) for name in _INDEXED if name in sets), None)
    return _Compiled(row.id, row.name, row.reason, row.valid_from, row.valid_to, tuple(tests),
                     key)


@dataclass(frozen=True)
class _ProfileIndex:
    """The active profiles, each filed under the values of its candidate key: a check reads
    only the profiles its own facts name, and the few without a key (candidate generation),
    then tests every criterion of those (scoring)."""

    profiles: tuple[_Compiled, ...]
    by_fact: dict[tuple[str, str], tuple[int, ...]]
    unkeyed: tuple[int, ...]

    @classmethod
    def of(cls, profiles: Sequence[_Compiled]) -> _ProfileIndex:
        by_fact: dict[tuple[str, str], list[int]] = {}
        unkeyed: list[int] = []
        for n, profile in enumerate(profiles):
            if profile.key is None:
                unkeyed.append(n)
                continue
            fact, values = profile.key
            for value in values:
                by_fact.setdefault((fact, value), []).append(n)
        return cls(tuple(profiles), {k: tuple(v) for k, v in by_fact.items()}, tuple(unkeyed))

    def candidates(self, facts: _Facts) -> list[_Compiled]:
        found = set(self.unkeyed)
        for fact in _INDEXED:
            value = getattr(facts, fact)
            if value:
                found.update(self.by_fact.get((fact, value), ()))
        return [self.profiles[n] for n in sorted(found)]


def _safe_key(kind: str, value: str) -> str:
    try:
        return normalise_key(kind, value)
    except ValidationError:
        return ""


# Indexed active profiles per database, rebuilt when any profile is added or changed.
_cache: dict[str, tuple[tuple[int, Any], _ProfileIndex]] = {}


def _active_profiles(session: Session) -> _ProfileIndex:
    stamp_row = session.execute(sa.select(sa.func.count(), sa.func.max(RiskProfile.updated_at))
                                ).one()
    stamp = (int(stamp_row[0]), stamp_row[1])
    bind = session.get_bind()
    key = str(getattr(bind, "url", id(bind)))
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = session.scalars(sa.select(RiskProfile).where(RiskProfile.active)
                           .order_by(RiskProfile.created_at, RiskProfile.id)).all()
    index = _ProfileIndex.of([_compile(r) for r in rows])
    _cache[key] = (stamp, index)
    return index


def screen(session: Session, principal: Principal, facts: ScreeningIn,
           purpose: str) -> list[Flag]:
    """The risk-profile step of a border check: every active profile whose criteria all hold
    flags the check, with its reason for the officer; each flag is kept for the hit rate."""
    if not (principal.can("border.check") or principal.can(READ)):
        audit.deny(session, principal, "border.check", action="cooperation.screen",
                   subject_type="coop_profile", purpose=purpose, what="screen against profiles")
    now = clock.now()
    local = now.astimezone()
    prepared = _Facts.of(facts)
    flags: list[Flag] = []
    hits: list[dict[str, Any]] = []
    for profile in _active_profiles(session).candidates(prepared):
        if profile.valid_from > now or (profile.valid_to is not None and profile.valid_to <= now):
            continue
        if all(test(prepared, local) for _name, test in profile.tests):
            hit_id = new_id()
            hits.append({"id": hit_id, "profile_id": profile.id, "flagged_at": now,
                         "bcp": facts.bcp, "subject": facts.subject[:200],
                         "vehicle_plate": prepared.vehicle or None,
                         "check_ref": facts.check_ref, "flagged_by": principal.username})
            flags.append(Flag(profile_id=profile.id, profile_name=profile.name,
                              reason=profile.reason, hit_id=hit_id,
                              criteria_met=[name for name, _t in profile.tests]))
    if hits:
        session.execute(sa.insert(RiskProfileHit), hits)
        audit.record(session, principal, "cooperation.screen", purpose=purpose,
                     subject_type="coop_profile", subject_ids=[h["profile_id"] for h in hits],
                     query={"bcp": facts.bcp, "vehicle_plate": facts.vehicle_plate,
                            "carrier": facts.carrier}, result_count=len(hits))
    return flags


def screen_crossing(session: Session, principal: Principal, purpose: str,
                    **facts: Any) -> list[Flag]:
    """`screen` for another domain's caller (the border check), the facts given as the
    keywords of `ScreeningIn`; a fact that breaks its schema is refused by name."""
    return screen(session, principal, ScreeningIn(**facts), purpose)


def record_outcome(session: Session, principal: Principal, hit_id: str, outcome: str,
                   purpose: str, record_id: str | None = None) -> None:
    """What the control of a flagged traveller, vehicle or consignment found."""
    audit.require(session, principal, "border.check" if principal.can("border.check") else WRITE,
                  action="cooperation.profile.outcome", subject_type="coop_profile",
                  purpose=purpose, what="record what a flagged control found")
    if outcome not in ("found", "nothing"):
        raise ValidationError(f"outcome '{outcome}' must be 'found' or 'nothing'",
                              field="outcome")
    hit = session.get(RiskProfileHit, hit_id)
    if hit is None:
        raise NotFoundError(f"no risk-profile flag '{hit_id}'")
    hit.outcome, hit.outcome_record_id, hit.outcome_at = outcome, record_id, clock.now()
    audit.record(session, principal, "cooperation.profile.outcome", purpose=purpose,
                 subject_type="coop_profile", subject_ids=[hit.profile_id],
                 details={"hit": hit.id, "outcome": outcome})


# A seizure in a vehicle flagged in the last two days counts as that flag's find.
FLAG_RESOLUTION_WINDOW = dt.timedelta(hours=48)


def _resolve_flags(session: Session, prepared: _Prepared, now: dt.datetime) -> None:
    if prepared.row["kind"] != "seizure":
        return
    plates = [k.value for k in prepared.keys if k.kind == "vehicle"]
    if not plates:
        return
    session.execute(sa.update(RiskProfileHit).where(
        RiskProfileHit.vehicle_plate.in_(plates), RiskProfileHit.outcome.is_(None),
        RiskProfileHit.flagged_at >= prepared.row["occurred_at"] - FLAG_RESOLUTION_WINDOW,
    ).values(outcome="found", outcome_record_id=prepared.row["id"], outcome_at=now))


# --- links ----------------------------------------------------------------------------------

def links(session: Session, principal: Principal, record_id: str, purpose: str,
          depth: int = 2) -> dict[str, Any]:
    """What connects a record to others the caller may see: shared vehicles, companies,
    phones, documents, references, and persons whose names match (granica.names).

    Returns a small graph: `nodes` (records) and `edges` (record, record, what they share).
    """
    from granica import names

    start = _load_visible(session, principal, record_id, purpose, "cooperation.links")
    limit = codelists().limits["graph_max_nodes"]
    nodes: dict[str, CoopRecord] = {start.id: start}
    edges: dict[tuple[str, str, str], str] = {}
    frontier = [start.id]
    for _step in range(max(1, min(depth, 3))):
        if not frontier or len(nodes) >= limit:
            break
        stored = session.execute(sa.select(CoopKey.record_id, CoopKey.kind, CoopKey.value,
                                           CoopKey.label)
                                 .where(CoopKey.record_id.in_(frontier),
                                        CoopKey.kind.notin_(("bcp", "route", "commodity")))
                                 ).all()
        # each record's own reference, which cases name in their linked records
        own = [(rid, "ref", normalise_key.__wrapped__("ref", nodes[rid].reference),
                nodes[rid].reference) for rid in frontier]
        mine = list(dict.fromkeys([*own, *(tuple(k) for k in stored)]))
        exact = {(k, v) for _r, k, v, _l in mine if k != "person"}
        found: list[tuple[str, str, str, str]] = []  # (from, to, kind, label)
        if exact:
            pairs = sa.tuple_(CoopKey.kind, CoopKey.value).in_(list(exact))
            other = session.execute(
                sa.select(CoopKey.record_id, CoopKey.kind, CoopKey.value, CoopKey.label)
                .join(CoopRecord, CoopRecord.id == CoopKey.record_id)
                .where(pairs, _visible(principal)).limit(limit * 10)).all()
            by_key: dict[tuple[str, str], list[str]] = {}
            for rid, kind, value, _label in other:
                by_key.setdefault((kind, value), []).append(rid)
            # the records a case links to, by their reference column
            forms = [f for k, v in exact if k == "ref" for f in _reference_forms(v)]
            for rid, reference in session.execute(
                    sa.select(CoopRecord.id, CoopRecord.reference)
                    .where(CoopRecord.reference.in_(forms), _visible(principal))) if forms else ():
                value = normalise_key.__wrapped__("ref", reference)
                by_key.setdefault(("ref", value), []).append(rid)
            for rid, kind, value, label in mine:
                for target in by_key.get((kind, value), ()):
                    if target != rid:
                        found.append((rid, target, kind, label))
        persons = [(rid, label) for rid, k, _v, label in mine if k == "person"]
        if persons:
            candidates = session.execute(
                sa.select(CoopKey.record_id, CoopKey.label)
                .join(CoopRecord, CoopRecord.id == CoopKey.record_id)
                .where(CoopKey.kind == "person", _visible(principal),
                       CoopKey.record_id.notin_([r for r, _l in persons]))
                .limit(5000)).all()
            for rid, label in persons:
                probe = names.prepare(label)
                for target, other_label in candidates:
                    result = names.compare_prepared(probe, names.prepare(other_label))
                    if result.match:
                        found.append((rid, target, "person", f"{label} ~ {other_label}"))
        next_frontier: list[str] = []
        for a, b, kind, label in found:
            if b not in nodes:
                if len(nodes) >= limit:
                    continue
                row = session.get(CoopRecord, b)
                if row is None:
                    continue
                nodes[b] = row
                next_frontier.append(b)
            edge = (min(a, b), max(a, b), kind)
            edges.setdefault(edge, label)
        frontier = next_frontier
    audit.record(session, principal, "cooperation.links", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=list(nodes), result_count=len(nodes) - 1,
                 details={"start": start.reference})
    return {
        "start": start.id,
        "nodes": [{"id": r.id, "reference": r.reference, "kind": r.kind,
                   "owner_agency": r.owner_agency, "summary": r.summary}
                  for r in nodes.values()],
        "edges": [{"a": a, "b": b, "kind": kind, "label": label}
                  for (a, b, kind), label in edges.items()],
    }


# --- import ---------------------------------------------------------------------------------

def import_records(session: Session, principal: Principal, kind: str,
                   rows: Iterable[tuple[str, dict[str, Any]]], purpose: str,
                   progress: Callable[[int], None] | None = None,
                   chunk: int = 5000) -> dict[str, Any]:
    """Import rows (each with where it came from, e.g. "line 12") as records of one kind.

    Every row is checked before anything is stored: the first bad row stops the import with
    its place and field, and nothing is half-imported (the caller's transaction rolls back).
    Rows are validated a chunk at a time and each chunk stored with one executemany insert
    per table; the import is audited once, with every record it created. On PostgreSQL the
    next chunk is read and checked while the database writes the last one.
    """
    audit.require(session, principal, WRITE, action=f"cooperation.{kind}.import",
                  subject_type=SUBJECT, purpose=purpose, what=f"import {kind} records")
    if kind not in INPUT_MODELS:
        raise ValidationError(f"unknown record kind '{kind}'; use one of: "
                              f"{', '.join(INPUT_MODELS)}", field="kind")
    bcp_codes = _crossing_points(session)
    subscriptions = _Subscriptions.load(session)
    batch = new_id()
    now = clock.now()

    def prepared() -> Generator[list[_Prepared]]:
        for models in _validated_chunks(kind, rows, chunk):
            # a chunk's ids in ascending order: each table's index on them is then written in
            # one sweep rather than at random places (the ids stay random UUIDs)
            ids = sorted(new_id() for _model in models)
            yield [_prepare(principal, kind, model, now, bcp_codes, where, batch, record_id)
                   for (where, model), record_id in zip(models, ids)]

    # Only where the database works in another process: SQLite's writes run in this one and
    # would take turns with the reading thread for the interpreter rather than overlap it.
    chunks: contextlib.AbstractContextManager[Iterator[list[_Prepared]]] = (
        _read_ahead(prepared()) if session.get_bind().dialect.name == "postgresql"
        else contextlib.closing(prepared()))
    created: list[str] = []
    with _collector_paused(), chunks as pending_chunks:
        for pending in pending_chunks:
            created += _store_chunk(session, pending, now, subscriptions)
            if progress is not None:
                progress(len(created))
    if not created:
        raise ValidationError("the file holds no records (only a header, or empty)",
                              field="file")
    audit.record(session, principal, f"cooperation.{kind}.import", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=created, result_count=len(created),
                 details={"batch": batch})
    return {"imported": len(created), "batch": batch, "kind": kind}


_T = TypeVar("_T")
_DONE = object()


@contextlib.contextmanager
def _read_ahead(items: Iterator[_T], depth: int = 2) -> Iterator[Iterator[_T]]:
    """`items` produced by a thread of their own, at most `depth` ahead of the consumer.

    While the database checks and indexes a chunk (the connection waits on its socket and
    lets other threads run), the next rows are read and validated. The thread touches no
    session: an error it meets (a bad row) is raised again here, in the caller's thread,
    where the transaction rolls back; leaving early stops the thread before returning, so
    the caller may close the file at once.
    """
    handoff: queue.Queue[tuple[object, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[object, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        last: tuple[object, Any] = (_DONE, None)
        try:
            for item in items:
                if not put((None, item)):
                    break
        except BaseException as exc:  # noqa: BLE001  (handed to the consumer, raised there)
            last = (exc, None)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # stopped early: the file's reader ends in the thread that ran it
        put(last)

    def consume() -> Iterator[_T]:
        while True:
            error, item = handoff.get()
            if error is _DONE:
                return
            if isinstance(error, BaseException):
                raise error
            yield cast(_T, item)

    worker = threading.Thread(target=contextvars.copy_context().run, args=(produce,),
                              name="import-reader", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection while an import runs: its rows make many
    objects but no cycles, and the full collections they triggered walked every object of
    the process again and again (a quarter of the import's time). Memory is still freed by
    reference counting; the collector is switched back on afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validated_chunks(kind: str, rows: Iterable[tuple[str, dict[str, Any]]], size: int
                      ) -> Iterator[list[tuple[str, RecordBase]]]:
    """The rows checked, `size` at a time, each with where it came from."""
    models: list[tuple[str, RecordBase]] = []
    for where, payload in rows:
        models.append((where, parse_record(kind, payload, where)))
        if len(models) >= size:
            yield models
            models = []
    if models:
        yield models


def _store_chunk(session: Session, chunk: list[_Prepared], now: dt.datetime,
                 subscriptions: _Subscriptions) -> list[str]:
    _insert(session, chunk)
    _notify_subscribers(session, chunk, now, subscriptions)
    return [p.row["id"] for p in chunk]


def counts_by(session: Session, column: str, *, kind: str, since: dt.datetime,
              until: dt.datetime, bcp: str | None = None) -> list[tuple[str, str | None, int]]:
    """Aggregate counts of records (category, crossing point, count): statistics read no
    personal data, so no audit row; the analysis domain calls this."""
    group = cast(sa.ColumnElement[Any], getattr(CoopRecord, column))
    q = (sa.select(group, CoopRecord.bcp, sa.func.count())
         .where(CoopRecord.kind == kind, CoopRecord.occurred_at >= since,
                CoopRecord.occurred_at < until)
         .group_by(group, CoopRecord.bcp))
    if bcp:
        q = q.where(CoopRecord.bcp == bcp)
    return [(str(c), b, int(n)) for c, b, n in session.execute(q)]


def goods_totals(session: Session, *, since: dt.datetime, until: dt.datetime,
                 bcp: str | None = None) -> list[tuple[str, str | None, int, float, int]]:
    """(goods category, crossing point, seizures, quantity, over the EUROSUR threshold)."""
    q = (sa.select(CoopGoods.category, CoopRecord.bcp, sa.func.count(sa.distinct(CoopRecord.id)),
                   sa.func.sum(CoopGoods.quantity),
                   sa.func.sum(sa.case((CoopGoods.over_threshold, 1), else_=0)))
         .join(CoopRecord, CoopRecord.id == CoopGoods.record_id)
         .where(CoopRecord.occurred_at >= since, CoopRecord.occurred_at < until)
         .group_by(CoopGoods.category, CoopRecord.bcp))
    if bcp:
        q = q.where(CoopRecord.bcp == bcp)
    return [(str(c), b, int(n), float(q_ or 0), int(o or 0))
            for c, b, n, q_, o in session.execute(q)]


def incident_persons(session: Session, *, since: dt.datetime, until: dt.datetime,
                     bcp: str | None = None) -> list[tuple[str, str | None, int, int]]:
    """(incident type, crossing point, incidents, persons): the FRAN counts of incidents."""
    q = (sa.select(CoopRecord.category, CoopRecord.bcp, sa.func.count(),
                   sa.func.sum(CoopRecord.persons))
         .where(CoopRecord.kind == "incident", CoopRecord.occurred_at >= since,
                CoopRecord.occurred_at < until)
         .group_by(CoopRecord.category, CoopRecord.bcp))
    if bcp:
        q = q.where(CoopRecord.bcp == bcp)
    return [(str(c), b, int(n), int(p or 0)) for c, b, n, p in session.execute(q)]
