"""What a principal may see of the alert register and how a visible alert reads: the
visibility rules, loading with denial, the effective action and warnings, and the result
shape every search returns. Shared by the SIS modules; changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.errors import NotFoundError, PermissionDenied
from granica.settings import get_settings
from granica.sis.categories import (
    CATEGORIES,
    READ_SUPPLEMENTARY,
    Category,
    action_for,
    get_category,
    is_discreet,
)
from granica.sis.models import Alert, AlertFlag, MisusedIdentity

SUBJECT = "alert"
REVIEW_WARNING = dt.timedelta(days=122)  # CS-SIS warns 4 months ahead (1862 Art 53)


def can_see(principal: Principal, alert: Any) -> bool:
    category = CATEGORIES.get(alert.category)
    if category is None or not principal.can(category.read_permission):
        return False
    if alert.sirene_only and not principal.can(READ_SUPPLEMENTARY) and not hiding_over(alert):
        return False
    # drafts are seen by those who enter and validate them, nobody else
    return alert.status != "draft" or principal.can("alerts.enter") or principal.can("alerts.validate")


def hiding_over(alert: Any) -> bool:
    """An alert hidden for an operation is seen again once its time is up (whether or not
    the job has cleared the mark yet)."""
    until = getattr(alert, "hidden_until", None)
    return until is not None and until <= clock.now()


def is_foreign(alert: Any) -> bool:
    return bool(alert.issuing_country != get_settings().country)


def load_alert(session: Session, alert_id: str) -> Alert:
    """The alert by its id or Schengen identifier; NotFoundError otherwise."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        alert = session.scalar(sa.select(Alert).where(Alert.schengen_id == alert_id.upper()))
    if alert is None:
        raise NotFoundError(f"no alert '{alert_id}' (it may have been deleted at expiry)",
                            field="alert_id")
    return alert


def require_visible(session: Session, principal: Principal, alert: Alert, action: str,
                    purpose: str) -> None:
    """Deny (audited, 403) when the principal may not see this alert."""
    if not can_see(principal, alert):
        category = get_category(alert.category)
        if not principal.can(category.read_permission):
            permission = category.read_permission
        elif alert.sirene_only:
            permission = READ_SUPPLEMENTARY
        else:  # a draft
            permission = "alerts.enter"
        audit.deny(session, principal, permission, action=action, subject_type=SUBJECT,
                   subject_ids=[alert.id], purpose=purpose, what=f"alert {alert.schengen_id}")


def require_national(session: Session, principal: Principal, alert: Alert, action: str,
                     purpose: str) -> None:
    """Only the issuing country may change its alerts."""
    if is_foreign(alert):
        audit.record(session, principal, action, purpose=purpose, subject_type=SUBJECT,
                     subject_ids=[alert.id], outcome="denied",
                     details={"reason": f"alert issued by {alert.issuing_country}"})
        session.commit()
        raise PermissionDenied(
            f"alert {alert.schengen_id} was issued by {alert.issuing_country}: only the issuing "
            "country may change it; ask through the SIRENE Bureau")


def effective_action(category: Category, alert: Any, flags: list[AlertFlag]) -> str:
    own = get_settings().country
    if any(f.country == own and f.withdrawn_at is None for f in flags):
        return category.flagged_action
    return action_for(category, alert.data.get("purpose"))


def alert_warnings(category: Category, alert: Any, flags: list[AlertFlag],
                   misused: int = 0) -> list[str]:
    """What an officer must know before acting, most urgent first."""
    data = alert.data
    out = [f"warning marker: {m.replace('_', ' ')}" for m in data.get("warning_markers", [])]
    own = get_settings().country
    for f in flags:
        if f.withdrawn_at is None:
            where = "here" if f.country == own else f"in {f.country}"
            out.append(f"flagged by {f.country}: the action is not executed {where}")
    if is_discreet(category, data):
        out.append("discreet or specific check: do not tell the person about the alert")
    if data.get("threat_to_public_policy"):
        out.append("threat to public policy or security")
    if misused:
        out.append("misused identity recorded: compare with the victim's data before acting")
    if is_foreign(alert):
        out.append(f"alert of {alert.issuing_country}: report a hit to the SIRENE Bureau")
    if alert.status == "draft":
        out.append("draft: not yet validated, no action to be taken")
    if alert.review_date <= clock.today() + REVIEW_WARNING and not is_foreign(alert):
        out.append(f"review due by {alert.review_date.isoformat()}")
    return out


def flags_of(session: Session, ids: list[str]) -> dict[str, list[AlertFlag]]:
    out: dict[str, list[AlertFlag]] = {}
    if ids:
        for f in session.scalars(sa.select(AlertFlag).where(AlertFlag.alert_id.in_(ids))):
            out.setdefault(f.alert_id, []).append(f)
    return out


def misused_counts(session: Session, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(MisusedIdentity.alert_id, sa.func.count()).where(MisusedIdentity.alert_id.in_(ids))
        .group_by(MisusedIdentity.alert_id)
    )
    return {str(a): int(n) for a, n in rows}


def search_result(alert: Any, score: float, reasons: list[str], flags: list[AlertFlag],
                  misused: int) -> dict[str, Any]:
    """One search result (the fields of `RESULT_FIELDS` in granica.sis.search)."""
    category = get_category(alert.category)
    return {
        "alert_id": alert.id,
        "schengen_id": alert.schengen_id,
        "issuing_country": alert.issuing_country,
        "category": alert.category,
        "score": round(max(0.0, min(1.0, score)), 3),
        "match": "strong",  # search_person marks namesakes "possible"
        "reasons": reasons,
        "action_to_be_taken": effective_action(category, alert, flags),
        "warnings": alert_warnings(category, alert, flags, misused),
        "summary": alert.summary,
    }


def search_results(session: Session, top: list[tuple[float, list[str], Any]]) -> list[dict[str, Any]]:
    """The result dicts; flags and misused identities are read only for alerts that have any."""
    flagged = [a.id for _, _, a in top if a.flag_count]
    misused = [a.id for _, _, a in top if a.misused_count]
    flags = flags_of(session, flagged) if flagged else {}
    counts = misused_counts(session, misused) if misused else {}
    return [search_result(a, s, r, flags.get(a.id, []), counts.get(a.id, 0)) for s, r, a in top]
