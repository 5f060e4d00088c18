"""What the alert register holds about a person, for the Data Protection Officer's access requests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.dpo.registry import SubjectQuery, register
from granica.errors import EmptyNameError
from granica.sis import name_matching
from granica.sis.categories import CATEGORIES, DISCREET_PURPOSES, is_discreet
from granica.sis.models import Alert, AlertIdentifier, AlertNameKey, MisusedIdentity
from granica.sis.validation import normalise_identifier, person_names


def _withhold(alert: Alert) -> str | None:
    category = CATEGORIES[alert.category]
    if category.kind == "person" and is_discreet(category, alert.data):
        # a discreet person category is withheld under its own code (they share the purposes')
        return alert.category if alert.category in DISCREET_PURPOSES else "discreet_check"
    if alert.sirene_only:
        return "ongoing_investigation"
    return None


def subject_data(session: Session, query: SubjectQuery) -> list[dict[str, Any]]:
    """Person alerts on the subject (by name and date of birth, document or id) and
    misused-identity extensions that carry the subject's data as the victim."""
    ids: set[str] = set(query.subject_ids)
    if query.document_numbers:
        values = [normalise_identifier(n) for n in query.document_numbers]
        ids |= set(session.scalars(sa.select(AlertIdentifier.alert_id)
                                   .where(AlertIdentifier.value.in_(values))))
    full = " ".join(p for p in (query.given_names, query.surname) if p)
    probe = None
    if full:
        try:
            probe = name_matching.prepare(full)
        except EmptyNameError:
            probe = None
        keys = name_matching.blocking_keys(full)
        if keys and probe is not None:
            cand = set(session.scalars(sa.select(AlertNameKey.alert_id)
                                       .where(AlertNameKey.key.in_(sorted(keys))).limit(5000)))
            for alert in session.scalars(sa.select(Alert).where(Alert.id.in_(cand))):
                dob = alert.data.get("date_of_birth")
                if query.date_of_birth and dob and not query.date_of_birth.isoformat().startswith(dob):
                    continue
                best = max((name_matching.compare(probe, name_matching.prepare(n)).score
                            for n in person_names(alert.data)), default=0.0)
                if best >= name_matching.MATCH_THRESHOLD:
                    ids.add(alert.id)
    out: list[dict[str, Any]] = []
    if ids:
        for alert in session.scalars(sa.select(Alert).where(Alert.id.in_(sorted(ids)))):
            if CATEGORIES[alert.category].kind != "person":
                continue
            entry: dict[str, Any] = {
                "record_type": "alert", "record_id": alert.id,
                "summary": f"{CATEGORIES[alert.category].label} {alert.schengen_id} "
                           f"({alert.issuing_country}): {alert.summary}",
                "data": {"schengen_id": alert.schengen_id, "issuing_country": alert.issuing_country,
                         "category": alert.category, "status": alert.status,
                         "review_date": alert.review_date.isoformat(), **alert.data},
            }
            reason = _withhold(alert)
            if reason:
                entry["withhold"] = reason
            out.append(entry)
    if query.surname and probe is not None:
        for row in session.scalars(sa.select(MisusedIdentity)):
            victim = row.victim
            name = " ".join(p for p in (victim.get("forenames"), victim.get("surname")) if p)
            if name and name_matching.compare(probe, name_matching.prepare(name)).score >= name_matching.MATCH_THRESHOLD:
                out.append({"record_type": "misused_identity", "record_id": row.id,
                            "summary": f"misused-identity extension of alert {row.alert_id} "
                                       f"(consent {row.consent_reference})",
                            "data": victim, "subject_ids": [row.alert_id, row.id]})
    return out


register("sis", subject_data)
