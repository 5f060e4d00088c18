"""Compatibility of a new alert with the alerts already on the same person or object (the
rules are data: compatibility.toml). An incompatible alert is not entered: the issuer of the
later one consults the issuer of the existing one through the SIRENE Bureau first."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.errors import ConflictError, EmptyNameError
from granica.sis import name_matching
from granica.sis.categories import Category, get_category
from granica.sis.models import Alert, AlertIdentifier, AlertNameKey
from granica.sis.validation import index_entries, person_names

RULES = Path(__file__).with_name("compatibility.toml")


class IncompatibleAlertError(ConflictError):
    code = "incompatible_alert"


@dataclass(frozen=True)
class Rules:
    person_pairs: frozenset[frozenset[str]]
    unverified: frozenset[frozenset[str]]
    object_checks: frozenset[str]
    source: str


@functools.lru_cache(maxsize=1)
def rules() -> Rules:
    data = tomllib.loads(RULES.read_text(encoding="utf-8"))
    person = data["person"]
    groups = {"checks": list(person["checks"])}

    def expand(pairs: list[list[str]]) -> frozenset[frozenset[str]]:
        out = set()
        for a, b in pairs:
            for x in groups.get(a, [a]):
                for y in groups.get(b, [b]):
                    if x != y:
                        out.add(frozenset((x, y)))
        return frozenset(out)

    return Rules(expand(person["incompatible"]), expand(person.get("unverified", [])),
                 frozenset(data["object"]["check_purposes"]), str(data.get("source", "")))


def _object_incompatible(a: str | None, b: str | None) -> bool:
    checks = rules().object_checks
    return a in checks or b in checks


def _same_person(data: dict[str, Any], other: dict[str, Any]) -> bool:
    if not data.get("date_of_birth") or data.get("date_of_birth") != other.get("date_of_birth"):
        return False
    try:
        ours = [name_matching.prepare(n) for n in person_names(data)]
        theirs = [name_matching.prepare(n) for n in person_names(other)]
    except EmptyNameError:
        return False
    return any(name_matching.score(p, q) >= name_matching.MATCH_THRESHOLD
               for p in ours for q in theirs)


def _alerts(session: Session, ids: sa.Select[Any]) -> list[Alert]:
    """The alerts of these ids, each once (a JSON column cannot be compared for DISTINCT on
    PostgreSQL, so the ids are made distinct first)."""
    wanted = set(session.scalars(ids))
    return list(session.scalars(sa.select(Alert).where(Alert.id.in_(sorted(wanted))))) \
        if wanted else []


def conflicts(session: Session, category: Category, data: dict[str, Any], *,
              exclude: str | None = None) -> list[Alert]:
    """The stored alerts (draft or active) on the same person or object whose category or
    purpose the rules say cannot stand beside this one."""
    keys, idents = index_entries(category, data)
    found: list[Alert] = []
    if category.kind == "person":
        partners = {c for pair in rules().person_pairs if category.code in pair for c in pair}
        partners.discard(category.code)
        if not partners or not keys or not data.get("date_of_birth"):
            return []
        ids = (sa.select(AlertNameKey.alert_id).join(Alert, AlertNameKey.alert_id == Alert.id)
               .where(AlertNameKey.key.in_(sorted(keys)), Alert.category.in_(sorted(partners)),
                      Alert.date_of_birth == data["date_of_birth"]))
        found = [a for a in _alerts(session, ids) if _same_person(data, a.data)]
    elif idents:
        ids = sa.select(AlertIdentifier.alert_id).where(
            sa.or_(*(sa.and_(AlertIdentifier.kind == k, AlertIdentifier.value == v)
                     for k, v in sorted(idents))))
        found = [a for a in _alerts(session, ids)
                 if _object_incompatible(data.get("purpose"), a.data.get("purpose"))]
    return [a for a in found if a.id != exclude]


def check(session: Session, category: Category, data: dict[str, Any], *,
          exclude: str | None = None) -> None:
    """Refuse an alert that is incompatible with one already stored, naming it and what to do."""
    found = conflicts(session, category, data, exclude=exclude)
    if not found:
        return
    a = found[0]
    other = get_category(a.category)
    what = (f"{other.label} ({a.data.get('purpose')})" if other.kind == "object"
            else other.label)
    unverified = frozenset((category.code, a.category)) in rules().unverified
    raise IncompatibleAlertError(
        f"this {category.label.lower()} alert is incompatible with {a.schengen_id}, a {what} "
        f"alert of {a.issuing_country} on the same {category.kind}"
        + (" (rule unverified for the recast: granica/sis/compatibility.toml)" if unverified
           else "")
        + ": it is not entered. Consult the issuing country through the SIRENE Bureau "
        "(the existing alert takes precedence unless its issuer withdraws it)",
        field="category", incompatible_with=[x.schengen_id for x in found])
