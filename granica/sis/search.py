"""Searching the alert register: persons by name and date of birth, documents, vehicles,
firearms and any object identifier.

Person search is two steps: candidate generation from the persisted blocking keys
(`sis_alert_name_key`, `key IN (...)` within a birth-year range, one index range per key on
both databases), then scoring of the few candidates with the name matcher plus date of birth,
nationality and sex. Every result has the same shape (`RESULT_FIELDS`) and every search is
audited with its purpose and result count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.errors import EmptyNameError, ValidationError
from granica.sis import name_matching
from granica.sis.categories import CATEGORIES, IDENTIFIER_KINDS, IDENTIFIER_SEARCHES, get_category
from granica.sis.models import Alert, AlertIdentifier, AlertNameKey
from granica.sis.validation import normalise_identifier, parse_partial_date, person_names
from granica.sis.visibility import SUBJECT, can_see, search_results

RESULT_FIELDS = ("alert_id", "schengen_id", "issuing_country", "category", "score", "match",
                 "reasons", "action_to_be_taken", "warnings", "summary")
DobMode = Literal["exact", "year", "approximate"]
MAX_CANDIDATES = 100  # scored candidates; the SQL ranks them by keys shared
# A person result is a "strong" match when the name and the date of birth both agree: the
# dates fit exactly, as a partial date, with day and month swapped or a year off on the same
# day (scores of `dob_score` from 0.75 up) and the whole score is at least STRONG_SCORE. Any
# other result, a namesake born on another date or an alert or query without a date of
# birth, is a "possible" match whose identity has to be verified before acting on it (an
# identifier found in an object search is always strong).
DOB_AGREES = 0.75
STRONG_SCORE = 0.85

# Statements built once: a border check runs several searches within 100 ms, and building
# and caching a statement costs more than running it. Rows carry the alert's columns under
# the model's attribute names, which is all the result and warning code reads.
_A = Alert.__table__
_K = AlertNameKey.__table__
_I = AlertIdentifier.__table__
_ALERT_COLUMNS = [c for c in _A.c if c.name not in ("created_by", "created_at", "validated_by",
                                                    "validated_at", "updated_at", "review_warned_at",
                                                    "supplementary_information")]
_hits = sa.func.count().label("hits")
# Candidates sharing as many keys are ordered, so that the cut at MAX_CANDIDATES is the same
# on every run and database: by id without a date of birth; with one, the alerts recording
# exactly that date first, then by distance of the birth year (a register holds many
# namesakes: with more of them than the limit, the one asked for must not be cut).
_CANDIDATES = (sa.select(_K.c.alert_id, _hits)
               .where(_K.c.key.in_(sa.bindparam("keys", expanding=True)))
               .group_by(_K.c.alert_id).order_by(_hits.desc(), _K.c.alert_id)
               .limit(sa.bindparam("limit")))
# With a date of birth: every alert sharing a key, born in the window (or of unknown birth,
# year 0). The years are a list rather than a range beside an OR: (key, birth year) is then
# one index condition, answered from the primary key alone (an index-only scan on
# PostgreSQL). Alerts sharing under half the best candidate's keys match one name part at
# most (a namesake on the surname alone) and cannot reach the threshold: they are dropped
# before the join to the alerts that orders the rest (a register holds many namesakes;
# with more of them than the limit, the one asked for must not be cut).
_IN_YEARS = (sa.select(_K.c.alert_id, _hits, sa.func.max(_K.c.birth_year).label("year"))
             .where(_K.c.key.in_(sa.bindparam("keys", expanding=True)),
                    _K.c.birth_year.in_(sa.bindparam("years", expanding=True)))
             .group_by(_K.c.alert_id).cte("in_years"))
_BEST = sa.select(sa.func.max(_IN_YEARS.c.hits)).scalar_subquery()
_CANDIDATES_DOB = (sa.select(_IN_YEARS.c.alert_id, _IN_YEARS.c.hits)
                   .join(_A, _A.c.id == _IN_YEARS.c.alert_id)
                   .where(_IN_YEARS.c.hits >= (_BEST + 1) // 2)
                   .order_by(_IN_YEARS.c.hits.desc(),
                             sa.case((_A.c.date_of_birth == sa.bindparam("dob"), 0), else_=1),
                             sa.func.abs(_IN_YEARS.c.year - sa.bindparam("year")),
                             _IN_YEARS.c.alert_id)
                   .limit(sa.bindparam("limit")))
# Status and category are filtered in Python, not in SQL: given them, SQLite's planner walks
# the status or category index (hundreds of thousands of rows) instead of the primary key.
_ALERTS = sa.select(*_ALERT_COLUMNS).where(_A.c.id.in_(sa.bindparam("ids", expanding=True)))
_BY_IDENTIFIER = (sa.select(*_ALERT_COLUMNS, _I.c.kind.label("identifier_kind"))
                  .join(_I, _I.c.alert_id == _A.c.id)
                  .where(_I.c.value == sa.bindparam("value"),
                         _I.c.kind.in_(sa.bindparam("kinds", expanding=True)))
                  .limit(sa.bindparam("limit")))
_ALL_KINDS = tuple(IDENTIFIER_KINDS)

# identifier kinds a caller may ask for by name
VEHICLE_KINDS = IDENTIFIER_SEARCHES["vehicle"][1]
DOCUMENT_KINDS = IDENTIFIER_SEARCHES["document"][1]
FIREARM_KINDS = IDENTIFIER_SEARCHES["firearm"][1]


def _readable(principal: Principal, kind: str | None) -> list[str]:
    return [c.code for c in CATEGORIES.values()
            if principal.can(c.read_permission) and (kind is None or c.kind == kind)]


# --- date of birth ---------------------------------------------------------------------------

def _dob_window(dob: str, mode: DobMode) -> tuple[int, int]:
    year = int(dob[:4])
    spread = {"exact": 1, "year": 1, "approximate": 3}[mode]
    return year - spread, year + spread


def dob_score(query: str, mode: DobMode, stored: str | None) -> tuple[float, str]:
    """How well a stored (possibly partial) date of birth fits the query, with the reason."""
    if not stored:
        return 0.5, "date of birth not recorded in the alert"
    qy, sy = int(query[:4]), int(stored[:4])
    q_md, s_md = query[5:], stored[5:]
    if mode == "year" or len(query) == 4:
        if qy == sy:
            return 1.0, f"year of birth {sy} matches"
        return max(0.0, 0.6 - 0.2 * abs(qy - sy)), f"year of birth {sy} is {abs(qy - sy)} off"
    if query == stored:
        return 1.0, f"date of birth {stored} exact"
    if len(stored) < 10 or len(query) < 10:  # partial on one side: compare what both have
        n = min(len(stored), len(query))
        if query[:n] == stored[:n]:
            return 0.9, f"date of birth {stored} (partial) fits"
    if qy == sy and q_md and s_md and q_md == "-".join(reversed(s_md.split("-"))):
        return 0.85, f"date of birth {stored}: day and month swapped"
    if q_md and q_md == s_md and abs(qy - sy) <= 1:
        return 0.75, f"date of birth {stored}: same day, year {sy} instead of {qy}"
    if qy == sy:
        # one digit off in day or month is a common keying error
        return 0.7 if mode == "exact" else 0.8, f"date of birth {stored}: same year"
    if mode == "approximate":
        gap = abs((dt.date.fromisoformat(_full(query)) - dt.date.fromisoformat(_full(stored))).days)
        return max(0.3, 0.8 - gap / 1500), f"date of birth {stored}: within {gap} days"
    return 0.3, f"date of birth {stored} differs"


def _full(partial: str) -> str:
    parts = partial.split("-") + ["01", "01"]
    return "-".join(parts[:3])


# --- persons ---------------------------------------------------------------------------------

def search_person(
    session: Session,
    principal: Principal,
    *,
    name: str,
    purpose: str,
    date_of_birth: str | None = None,
    dob_mode: DobMode = "exact",
    nationality: str | None = None,
    sex: str | None = None,
    categories: Iterable[str] | None = None,
    limit: int = 20,
    min_score: float = 0.6,
) -> list[dict[str, Any]]:
    """Persons by name in any script, order or spelling, ranked with the reasons they matched."""
    query = {"name": name, "date_of_birth": date_of_birth, "dob_mode": dob_mode,
             "nationality": nationality, "sex": sex}
    visible = _readable(principal, "person")
    if not visible:
        audit.deny(session, principal, "alerts.person.read", action="alerts.search.person",
                   subject_type=SUBJECT, purpose=purpose, what="search person alerts")
    if categories:
        wanted = {get_category(c).code for c in categories}
        hidden = wanted - set(visible)
        if hidden:
            cat = get_category(min(hidden))
            audit.deny(session, principal, cat.read_permission, action="alerts.search.person",
                       subject_type=SUBJECT, purpose=purpose, what=f"search {cat.code} alerts")
        visible = [c for c in visible if c in wanted]
    if dob_mode not in ("exact", "year", "approximate"):
        raise ValidationError(f"field 'dob_mode': '{dob_mode}' is not exact, year or approximate",
                              field="dob_mode")
    if date_of_birth:
        date_of_birth = parse_partial_date(date_of_birth.strip(), "date_of_birth")
    if nationality:
        nationality = nationality.strip().upper()
        if len(nationality) != 2 or not nationality.isalpha():
            raise ValidationError(f"field 'nationality': '{nationality}' is not a two-letter code",
                                  field="nationality")
    if sex:
        sex = sex.strip().upper()[:1]
    if not name or len(name) > 200:
        raise ValidationError("field 'name': give a name of 1-200 characters", field="name")
    probe = name_matching.prepare(name)  # EmptyNameError for a name with no letters
    keys = name_matching.blocking_keys(name)
    if not keys:
        raise EmptyNameError(f"the name '{name}' gives nothing to search on", field="name")

    # 1. candidates: alerts sharing the most keys, within the birth-year range
    params: dict[str, Any] = {"keys": sorted(keys), "limit": MAX_CANDIDATES}
    statement = _CANDIDATES
    if date_of_birth:
        lo, hi = _dob_window(date_of_birth, dob_mode)
        params["years"] = [0, *range(lo, hi + 1)]
        params["dob"], params["year"] = date_of_birth, int(date_of_birth[:4])
        statement = _CANDIDATES_DOB
    ranked = session.execute(statement, params).all()
    # alerts sharing under half the best candidate's keys match one name part at most
    # (a namesake on the surname alone): they cannot reach the threshold, so are not scored
    floor = (ranked[0][1] + 1) // 2 if ranked else 0
    ids = [c[0] for c in ranked if c[1] >= floor]
    alerts: list[Any] = []
    if ids:
        wanted = set(visible)
        alerts = [a for a in session.execute(_ALERTS, {"ids": ids})
                  if a.status == "active" and a.category in wanted and can_see(principal, a)]

    # 2. scoring
    scored: list[tuple[float, list[str], Any]] = []
    strong: set[str] = set()
    for alert in alerts:
        best, best_name = 0.0, None
        for candidate in person_names(alert.data):
            try:
                prepared = name_matching.prepare(candidate)
            except EmptyNameError:
                continue
            value = name_matching.score(probe, prepared)
            if value > best:
                best, best_name = value, prepared
        if best < name_matching.MATCH_THRESHOLD or best_name is None:
            continue
        # the reasons are worked out for the best-matching name only
        explained = name_matching.compare(probe, best_name)
        best = explained.score
        reasons = [f"name {best:.2f}", *explained.reasons]
        score = best
        dob_agrees = False
        if date_of_birth:
            d, why = dob_score(date_of_birth, dob_mode, alert.date_of_birth)
            score = 0.65 * best + 0.35 * d
            reasons.append(why)
            dob_agrees = d >= DOB_AGREES
        if nationality:
            have = (alert.nationalities or "").split(",") if alert.nationalities else []
            if nationality in have:
                score += 0.05
                reasons.append(f"nationality {nationality} matches")
            elif have:
                score -= 0.1
                reasons.append(f"nationality {'/'.join(have)}, not {nationality}")
        if sex and alert.sex and sex in "MF" and alert.sex in "MF":
            if sex == alert.sex:
                reasons.append(f"sex {sex} matches")
            else:
                score -= 0.15
                reasons.append(f"sex {alert.sex}, not {sex}")
        if score >= min_score:
            scored.append((min(1.0, score), reasons, alert))
            if dob_agrees and score >= STRONG_SCORE:
                strong.add(alert.id)
    scored.sort(key=lambda t: (-t[0], t[2].schengen_id))
    top = scored[:limit]
    top_ids = [a.id for _, _, a in top]
    results = search_results(session, top)
    for result in results:
        if result["alert_id"] not in strong:
            result["match"] = "possible"
            result["reasons"].append("possible match: verify the identity")
    audit.record(session, principal, "alerts.search.person", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=top_ids, query=query, result_count=len(results))
    return results


# --- objects ---------------------------------------------------------------------------------

def find_object(
    session: Session,
    principal: Principal,
    identifier: str,
    *,
    purpose: str,
    kinds: Iterable[str] | None = None,
    country: str | None = None,
    make: str | None = None,
    calibre: str | None = None,
    document_type: str | None = None,
    action: str = "alerts.search.object",
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Alerts carrying an identifier (any kind unless `kinds` narrows it), exact after
    normalisation; a country, make, calibre or document type that differs lowers the score."""
    query = {"identifier": identifier, "kinds": list(kinds) if kinds else None, "country": country,
             "make": make, "calibre": calibre, "document_type": document_type}
    visible = _readable(principal, None)
    if not visible:
        audit.deny(session, principal, "alerts.object.read", action=action, subject_type=SUBJECT,
                   purpose=purpose, what="search alerts")
    if not identifier or len(identifier) > 64:
        raise ValidationError("field 'identifier': give an identifier of 1-64 characters",
                              field="identifier")
    value = normalise_identifier(identifier)
    if not value:
        raise ValidationError(f"field 'identifier': '{identifier}' has no letters or digits",
                              field="identifier")
    wanted = set(visible)
    rows = [r for r in session.execute(_BY_IDENTIFIER, {
        "value": value, "kinds": list(kinds) if kinds else list(_ALL_KINDS), "limit": limit * 4})
        if r.status == "active" and r.category in wanted and can_see(principal, r)]
    out: list[tuple[float, list[str], Any]] = []
    for alert in rows:
        kind = alert.identifier_kind
        data = alert.data
        label = IDENTIFIER_KINDS[kind].label if kind in IDENTIFIER_KINDS else kind
        reasons = [f"{label} {identifier} exact"]
        score = 1.0
        if CATEGORIES[alert.category].kind == "person":
            reasons = [f"identity document {identifier} of the person in the alert"]
        checks = (
            ("country", country, data.get("document_country") or data.get("plate_country")
             or next((d.get("country") for d in data.get("identity_documents", [])
                      if normalise_identifier(d["number"]) == value), None)),
            ("make", make, data.get("make")),
            ("calibre", calibre, data.get("calibre")),
            ("document type", document_type, data.get("document_type")),
        )
        for label, asked, stored in checks:
            if not asked or not stored:
                continue
            if normalise_identifier(str(asked)) == normalise_identifier(str(stored)):
                reasons.append(f"{label} {stored} matches")
            else:
                score -= 0.25
                reasons.append(f"{label} {stored}, not {asked}")
        out.append((score, reasons, alert))
    out.sort(key=lambda t: (-t[0], t[2].schengen_id))
    top = out[:limit]
    ids = [a.id for _, _, a in top]
    results = search_results(session, top)
    audit.record(session, principal, action, purpose=purpose, subject_type=SUBJECT, subject_ids=ids,
                 query=query, result_count=len(results))
    return results


def find_document(session: Session, principal: Principal, number: str, *, purpose: str,
                  country: str | None = None, document_type: str | None = None) -> list[dict[str, Any]]:
    """Stolen, lost, invalid or false documents, and persons' alerts listing the document."""
    return find_object(session, principal, number, purpose=purpose, kinds=DOCUMENT_KINDS,
                       country=country, document_type=document_type, action="alerts.search.document")


def find_vehicle(session: Session, principal: Principal, *, purpose: str, vin: str | None = None,
                 plate: str | None = None, country: str | None = None) -> list[dict[str, Any]]:
    """Vehicles, trailers, caravans and plates by VIN or registration plate."""
    if not vin and not plate:
        raise ValidationError("give a VIN or a registration plate", field="vin")
    results: list[dict[str, Any]] = []
    if vin:
        results += find_object(session, principal, vin, purpose=purpose, kinds=("vin",),
                               action="alerts.search.vehicle")
    if plate:
        seen = {r["alert_id"] for r in results}
        results += [r for r in find_object(session, principal, plate, purpose=purpose, kinds=("plate",),
                                           country=country, action="alerts.search.vehicle")
                    if r["alert_id"] not in seen]
    return sorted(results, key=lambda r: -r["score"])


def find_firearm(session: Session, principal: Principal, serial: str, *, purpose: str,
                 make: str | None = None, calibre: str | None = None) -> list[dict[str, Any]]:
    """Firearms by serial number; make and calibre confirm or weaken the match."""
    results = find_object(session, principal, serial, purpose=purpose, kinds=FIREARM_KINDS,
                          make=make, calibre=calibre, action="alerts.search.firearm")
    return [r for r in results if r["category"] == "firearm"]
