"""The sources a border check queries (alert register, Interpol SLTD, national lists, vehicles)
and the parallel runner that gives each its own session and time budget."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border.schemas import is_confirmed
from granica.sis import service as sis
from granica.storage import unit_of_work


@dataclass(frozen=True)
class TravellerQuery:
    """What the check asks about: the person, the document and the vehicle if any."""

    surname: str = ""
    given_names: str = ""
    birth_date: dt.date | None = None
    nationality: str = ""
    sex: str = ""
    document_type: str = ""
    document_number: str = ""
    issuing_state: str = ""
    vehicle_plate: str = ""
    vehicle_country: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "surname": self.surname, "given_names": self.given_names,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "nationality": self.nationality, "sex": self.sex,
            "document_type": self.document_type, "document_number": self.document_number,
            "issuing_state": self.issuing_state, "vehicle_plate": self.vehicle_plate,
            "vehicle_country": self.vehicle_country,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TravellerQuery:
        bd = d.get("birth_date")
        return cls(**{**d, "birth_date": dt.date.fromisoformat(bd) if bd else None})


@dataclass(frozen=True)
class Hit:
    """One alert (or SLTD record) that matched, reduced to what a border guard may see."""

    source: str
    alert_id: str
    category: str
    action: str
    warnings: tuple[str, ...] = ()
    category_label: str = ""
    score: float | None = None
    summary: str = ""
    flagged: bool = False
    hit_report_id: str = ""
    fingerprint: str = ""  # see schemas.HitView
    fingerprint_score: float | None = None
    match: str = "strong"  # see schemas.HitView

    @property
    def confirmed(self) -> bool:
        return is_confirmed(self.match, self.fingerprint)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "alert_id": self.alert_id, "category": self.category,
            "category_label": self.category_label or self.category, "action": self.action,
            "warnings": list(self.warnings), "score": self.score, "summary": self.summary,
            "flagged": self.flagged, "hit_report_id": self.hit_report_id,
            "fingerprint": self.fingerprint, "fingerprint_score": self.fingerprint_score,
            "match": self.match,
        }


class Source(Protocol):
    """A register the check asks; `query` runs in its own thread with its own session."""

    name: str
    label: str

    def applies(self, q: TravellerQuery) -> bool: ...

    def query(self, session: Session, principal: Principal, q: TravellerQuery,
              purpose: str) -> list[Hit]: ...


# --- Interpol SLTD ---------------------------------------------------------------------

@dataclass(frozen=True)
class SltdRecord:
    document_number: str
    issuing_state: str
    status: str  # stolen | lost | revoked | blank


class SltdClient(Protocol):
    """Interpol's Stolen and Lost Travel Documents database (I-24/7 FIND in production)."""

    def lookup(self, session: Session, document_number: str, issuing_state: str) -> list[SltdRecord]: ...


class LocalSltdClient:
    """Stand-in for tests and demos: the `border_sltd_document` table, seeded by `seed_sltd`."""

    def lookup(self, session: Session, document_number: str, issuing_state: str) -> list[SltdRecord]:
        from granica.border.models import SltdDocument

        rows = session.scalars(
            sa.select(SltdDocument).where(SltdDocument.document_number == document_number)
        ).all()
        # Interpol matches on number and country; a row without a country matches any.
        return [SltdRecord(r.document_number, r.issuing_state, r.status) for r in rows
                if not issuing_state or r.issuing_state in (issuing_state, "")]


_sltd_client: SltdClient = LocalSltdClient()


def set_sltd_client(client: SltdClient) -> None:
    """Plug in the real Interpol connector (or a failing one, in tests)."""
    global _sltd_client
    _sltd_client = client


def get_sltd_client() -> SltdClient:
    return _sltd_client


class SltdSource:
    name = "sltd"
    label = "Interpol SLTD"

    @property
    def local_database(self) -> bool:
        return isinstance(get_sltd_client(), LocalSltdClient)

    def applies(self, q: TravellerQuery) -> bool:
        return bool(q.document_number)

    def query(self, session: Session, principal: Principal, q: TravellerQuery,
              purpose: str) -> list[Hit]:
        # no audit row of its own: the check's row records this query (number and country)
        found = get_sltd_client().lookup(session, q.document_number, q.issuing_state)
        return [
            Hit(source=self.name, alert_id=f"SLTD:{r.issuing_state}:{r.document_number}",
                category=f"sltd_{r.status}", category_label=f"Interpol SLTD: document {r.status}",
                action="Seize the document and refer the holder to second line; "
                       "confirm the hit with the Interpol NCB.",
                summary=f"{r.issuing_state} document {r.document_number} reported {r.status}")
            for r in found
        ]


# --- the alert register (granica.sis) ---------------------------------------------------

def hit_from_sis(source: str, result: dict[str, Any]) -> Hit:
    """Reduce a sis search result to the guard's view of it (sis already hid what the
    principal may not see: discreet categories, SIRENE-only alerts, supplementary data)."""
    code = str(result.get("category", ""))
    warnings = tuple(str(w) for w in result.get("warnings") or ())
    return Hit(
        source=source, alert_id=str(result.get("alert_id", "")), category=code,
        category_label=sis.category_label(code),
        action=str(result.get("action_to_be_taken", "")), warnings=warnings,
        score=result.get("score"),
        summary=f"{result.get('schengen_id', '')} ({result.get('issuing_country', '')}): "
                f"{result.get('summary', '')}; " + "; ".join(result.get("reasons") or []),
        flagged=any(w.startswith("flagged by") for w in warnings),
        match=str(result.get("match", "strong")),
    )


def tag_national(hit: Hit, issuing_country: str) -> Hit:
    """A hit on this country's own wanted or refusal alert is a national-list hit."""
    if sis.on_national_list(hit.category, issuing_country):
        return dataclasses.replace(hit, source="national",
                                   category_label=f"National list: {hit.category_label}")
    return hit


def _person_name(q: TravellerQuery) -> str:
    return " ".join(p for p in (q.given_names, q.surname) if p)


class SisPersonSource:
    """Person alerts: the name in every script and spelling, and the date of birth (sis search).

    Nationality and sex are not passed: a mismatch lowers sis's score, and a border check
    must not lose a wanted person to a second nationality or a mistyped sex."""

    name = "sis_person"
    label = "SIS person alerts"
    local_database = True
    categories: tuple[str, ...] | None = None

    def applies(self, q: TravellerQuery) -> bool:
        return bool(q.surname or q.given_names)

    def query(self, session: Session, principal: Principal, q: TravellerQuery,
              purpose: str) -> list[Hit]:
        found = sis.search_person(
            session, principal, name=_person_name(q), purpose=purpose,
            date_of_birth=q.birth_date.isoformat() if q.birth_date else None,
            categories=self.categories,
        )
        return [tag_national(hit_from_sis(self.name, r), str(r.get("issuing_country", "")))
                for r in self._keep(found)]

    def _keep(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return found


class NationalListsSource(SisPersonSource):
    """The national wanted and refusal lists as a query of their own: this country's arrest,
    refusal-of-entry, restrictive-measure and return alerts. Not in the default sources,
    because the person search already returns these alerts (tagged "national" by
    `tag_national`) and a second name search would double the cost of every check; use it
    when the national lists live in another register."""

    name = "national"
    label = "National wanted and refusal lists"
    categories = sis.national_list_categories()

    def _keep(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from granica.settings import get_settings

        own = get_settings().country
        return [r for r in found if r.get("issuing_country") == own]


class SisDocumentSource:
    """The document as an issued document and as blank/stolen/lost/invalidated document alerts."""

    name = "sis_document"
    label = "SIS document alerts"
    local_database = True

    def applies(self, q: TravellerQuery) -> bool:
        return bool(q.document_number)

    def query(self, session: Session, principal: Principal, q: TravellerQuery,
              purpose: str) -> list[Hit]:
        # no country: SIS stores two-letter codes and the MRZ has three; a mismatch would
        # only lower the score, and the number is what identifies the document
        found = sis.find_document(session, principal, q.document_number, purpose=purpose)
        return [hit_from_sis(self.name, r) for r in found]


class SisVehicleSource:
    name = "sis_vehicle"
    label = "SIS vehicle alerts"
    local_database = True

    def applies(self, q: TravellerQuery) -> bool:
        return bool(q.vehicle_plate)

    def query(self, session: Session, principal: Principal, q: TravellerQuery,
              purpose: str) -> list[Hit]:
        found = sis.find_vehicle(session, principal, purpose=purpose, plate=q.vehicle_plate,
                             country=q.vehicle_country or None)
        return [hit_from_sis(self.name, r) for r in found]


class FingerprintSource:
    """The traveller's prints, as a source of its own with its own time budget: the 1:1
    verification of the person hits the other sources found, and the 1:N search when the
    identity cannot be ascertained (1862 Art 43). Built per check: it carries the images,
    which are compared and never stored."""

    name = "fingerprints"
    label = "Fingerprints (SIS)"
    local_database = True

    def __init__(self, images: Sequence[tuple[int, bytes]], verify: Sequence[str],
                 search: bool) -> None:
        self.images = list(images)
        self.verify = list(verify)
        self.search = search
        # alert id -> (decision, score); read by the check only when the source finished
        self.verifications: dict[str, tuple[str, float]] = {}

    def applies(self, q: TravellerQuery) -> bool:
        return bool(self.images) and (bool(self.verify) or self.search)

    def query(self, session: Session, principal: Principal, q: TravellerQuery,
              purpose: str) -> list[Hit]:
        probes = [sis.template_of((pos, data), f"fingerprints[{i}].image", gate=False)
                  for i, (pos, data) in enumerate(self.images)]
        for alert_id in self.verify:
            v = sis.verify_fingerprints(session, principal, alert_id, probes, purpose)
            self.verifications[alert_id] = (v.decision, v.score)
        if not self.search:
            return []
        found = sis.search_fingerprints(session, principal, probes, purpose, limit=10)
        return [dataclasses.replace(hit_from_sis(self.name, r), fingerprint="identified",
                                    fingerprint_score=r["fingerprint"]["score"])
                for r in found]


def default_sources() -> list[Source]:
    return [SisPersonSource(), SisDocumentSource(), SltdSource(), SisVehicleSource()]


_sources: list[Source] | None = None


def get_sources() -> list[Source]:
    return _sources if _sources is not None else default_sources()


def set_sources(sources: Sequence[Source] | None) -> None:
    """Replace the sources (tests: a slow or failing one); None restores the defaults."""
    global _sources
    _sources = list(sources) if sources is not None else None


# --- running them in parallel ----------------------------------------------------------

@dataclass
class SourceOutcome:
    name: str
    label: str
    status: str  # ok | timeout | error | skipped
    hits: list[Hit] = field(default_factory=list)
    ms: int = 0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "status": self.status, "ms": self.ms,
                "hits": len(self.hits), "error": self.error}


_pool_lock = threading.Lock()
_pool: cf.ThreadPoolExecutor | None = None


def _executor() -> cf.ThreadPoolExecutor:
    # One long-lived pool: a check must not pay for thread start-up. Threads of a source
    # that overran keep their slot until it answers; 64 leaves room for many of those.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = cf.ThreadPoolExecutor(max_workers=64, thread_name_prefix="border-source")
        return _pool


def own_session(engine: Engine) -> contextlib.AbstractContextManager[Session]:
    """A source's own unit of work: sessions are not shared between threads."""
    return unit_of_work(Session(engine, expire_on_commit=False))


_sqlite_turns: dict[int, threading.Lock] = {}


def _turn(engine: Engine, source: Source) -> contextlib.AbstractContextManager[Any]:
    # SQLite has one writer at a time, and every source writes its audit row. Waiting for
    # the write lock inside SQLite means its busy handler's sleeps (up to 100 ms each);
    # taking turns on a Python lock hands the database over at once. Only sources that do
    # nothing but read this database take turns: a remote one must not hold the others up.
    if engine.dialect.name != "sqlite" or not getattr(source, "local_database", False):
        return contextlib.nullcontext()
    with _pool_lock:
        return _sqlite_turns.setdefault(id(engine), threading.Lock())


class AuditHandover:
    """The audit rows of the sources' reads, handed to the check that asked, whose own
    transaction writes them with the check (one writing transaction per check). A source
    that answers after the check went on without it (its budget ran out) writes its rows
    in its own session instead: a read is never left unaudited."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[dict[str, Any]] = []
        self._closed = False

    def give(self, rows: list[dict[str, Any]]) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._rows.extend(rows)
            return True

    def close(self) -> list[dict[str, Any]]:
        """The rows handed over so far; later ones are written by their sources."""
        with self._lock:
            self._closed = True
            rows, self._rows = self._rows, []
            return rows


def _run_one(engine: Engine, source: Source, principal: Principal, q: TravellerQuery,
             purpose: str, handover: AuditHandover | None = None) -> list[Hit]:
    with _turn(engine, source), own_session(engine) as s:
        if handover is None:
            return source.query(s, principal, q, purpose)
        rows = audit.defer(s)
        try:
            return source.query(s, principal, q, purpose)
        finally:
            if not handover.give(rows):
                audit.write_rows(s, rows)


def run_sources(engine: Engine, principal: Principal, q: TravellerQuery, purpose: str,
                budget_s: float, sources: Sequence[Source] | None = None,
                only: Sequence[str] | None = None,
                runner: Callable[..., list[Hit]] = _run_one,
                handover: AuditHandover | None = None) -> list[SourceOutcome]:
    """Ask every applicable source at once; each answers within `budget_s` or counts as missed.
    With `handover`, the sources' audit rows are handed to the caller to write."""
    chosen = [s for s in (sources if sources is not None else get_sources())
              if only is None or s.name in only]
    outcomes: list[SourceOutcome] = []
    futures: list[tuple[Source, cf.Future[list[Hit]], float]] = []
    pool = _executor()
    for src in chosen:
        if not src.applies(q):
            outcomes.append(SourceOutcome(src.name, src.label, "skipped"))
            continue
        extra = {} if handover is None else {"handover": handover}
        futures.append((src, pool.submit(runner, engine, src, principal, q, purpose, **extra),
                        time.perf_counter()))
    # all sources started together, so one deadline for all of them is each one's budget
    deadline = time.perf_counter() + budget_s
    for src, fut, started in futures:
        try:
            hits = fut.result(timeout=max(0.0, deadline - time.perf_counter()))
            outcomes.append(SourceOutcome(src.name, src.label, "ok", hits,
                                          int((time.perf_counter() - started) * 1000)))
        except cf.TimeoutError:
            outcomes.append(SourceOutcome(src.name, src.label, "timeout",
                                          ms=int(budget_s * 1000),
                                          error=f"no answer within {int(budget_s * 1000)} ms"))
        except Exception as exc:  # noqa: BLE001 - any failure of a source is a missed source, never a silent "go"
            outcomes.append(SourceOutcome(src.name, src.label, "error",
                                          ms=int((time.perf_counter() - started) * 1000),
                                          error=f"{type(exc).__name__}: {exc}"[:300]))
    order = {s.name: i for i, s in enumerate(chosen)}
    outcomes.sort(key=lambda o: order.get(o.name, 99))
    return outcomes
