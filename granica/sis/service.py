"""The only code that changes the alert register: entry, four-eyes validation, flags, links,
misused identity, review and extension, deletion at expiry, import/export, hit reports.

Every function takes the caller's session and principal, checks permissions (denials are
audited and raise 403) and writes its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock, jobs
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.errors import (
    ConflictError,
    GranicaError,
    InputFormatError,
    NotFoundError,
    TooLargeError,
    ValidationError,
)
from granica.settings import get_settings
from granica.sis import compatibility
from granica.sis.categories import (
    CATEGORIES,
    NATIONAL_LIST_CATEGORIES,
    READ_SUPPLEMENTARY,
    Category,
    get_category,
)
from granica.sis.fingerprints import (
    PrintInput,
    Verification,
    search_fingerprints,
    template_of,
    verify_fingerprints,
)
from granica.sis.models import (
    Alert,
    AlertExtension,
    AlertFingerprint,
    AlertFlag,
    AlertIdentifier,
    AlertLink,
    AlertNameKey,
    HitReport,
    MisusedIdentity,
)
from granica.sis.print_gallery import gallery_for
from granica.sis.search import find_document, find_vehicle, search_person
from granica.sis.validation import (
    SIRENE_ONLY_CATEGORIES,
    SIRENE_ONLY_HOURS,
    CheckedAlert,
    DuplicateAlertError,
    birth_year,
    check_alert,
    check_data,
    check_value,
    index_entries,
    parse_date,
    summary_of,
)
from granica.sis.visibility import (
    REVIEW_WARNING,
    SUBJECT,
    alert_warnings,
    can_see,
    effective_action,
    flags_of,
    hiding_over,
    is_foreign,
    load_alert,
    require_national,
    require_visible,
)
from granica.storage import bulk_insert, new_id

# Public: the register's operations, and what other domains (granica.border) call: the
# searches, the fingerprint comparisons and the category facts.
__all__ = [
    "SUBJECT", "ImportReport", "PrintInput", "Verification", "add_misused_identity",
    "alert_brief", "alert_view", "can_see", "category_label", "create_alert", "delete_alert",
    "delete_expired", "export_alerts", "export_line", "extend_alert", "find_document",
    "find_vehicle", "flag_alert", "get_alert", "hit_reports_for_sirene", "import_alerts", "is_foreign", "link_alerts",
    "list_drafts", "mark_hit_report", "national_list_categories", "on_national_list", "reindex_all",
    "report_hit", "review_period_years", "review_warnings", "search_fingerprints",
    "search_person", "template_of", "update_alert", "validate_alert", "verify_fingerprints",
    "withdraw_misused_identity",
]

_ALERT_TABLE = cast(sa.Table, Alert.__table__)
_KEY_TABLE = cast(sa.Table, AlertNameKey.__table__)
_IDENT_TABLE = cast(sa.Table, AlertIdentifier.__table__)
MAX_LINE_BYTES = 256 * 1024


# --- what other domains read (granica.border) ---------------------------------------------
# The searches (search_person, find_document, find_vehicle) and the fingerprint comparisons
# (template_of, verify_fingerprints, search_fingerprints) are imported above: a domain calls
# the register only through this module.

def category_label(code: str) -> str:
    """The category's label; the code itself when it is no alert category."""
    category = CATEGORIES.get(code)
    return category.label if category else code


def national_list_categories() -> tuple[str, ...]:
    """The categories of this country's national wanted and refusal lists."""
    return NATIONAL_LIST_CATEGORIES


def on_national_list(category: str, issuing_country: str) -> bool:
    """Is an alert of this category and issuer on this country's national lists?"""
    return issuing_country == get_settings().country and category in NATIONAL_LIST_CATEGORIES


# --- review periods ------------------------------------------------------------------------

def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def review_period_years(category: Category, data: dict[str, Any]) -> int:
    """The category's period, or its longer one when the alert's date (a refusal's national
    decision) lies beyond the category's limit."""
    rule = category.longer_review
    until = data.get(rule.field) if rule else None
    if rule and until and dt.date.fromisoformat(until) > _add_years(clock.today(), rule.beyond_years):
        return rule.years
    return category.review_years


def alert_view(session: Session, principal: Principal, alert: Alert) -> dict[str, Any]:
    """The API's (and the export's) shape of one alert, filtered by what the caller may see."""
    category = get_category(alert.category)
    flags = flags_of(session, [alert.id]).get(alert.id, [])
    links = session.scalars(sa.select(AlertLink).where(
        sa.or_(AlertLink.alert_id == alert.id, AlertLink.other_alert_id == alert.id))).all()
    misused = session.scalars(sa.select(MisusedIdentity).where(MisusedIdentity.alert_id == alert.id)).all()
    linked_ids = [lk.other_alert_id if lk.alert_id == alert.id else lk.alert_id for lk in links]
    # a link confers no access: only the linked alerts the caller may see are shown
    visible_links = []
    if linked_ids:
        others = {a.id: a for a in session.scalars(sa.select(Alert).where(Alert.id.in_(linked_ids)))}
        for lk, other_id in zip(links, linked_ids):
            other = others.get(other_id)
            if other is not None and can_see(principal, other):
                visible_links.append({"alert_id": other.id, "schengen_id": other.schengen_id,
                                      "category": other.category, "reason": lk.reason})
    view: dict[str, Any] = {
        "alert_id": alert.id,
        "schengen_id": alert.schengen_id,
        "issuing_country": alert.issuing_country,
        "category": alert.category,
        "category_label": category.label,
        "legal_basis": category.legal_basis,
        "kind": category.kind,
        "status": alert.status,
        "action_to_be_taken": effective_action(category, alert, flags),
        "warnings": alert_warnings(category, alert, flags, len(misused)),
        "summary": alert.summary,
        "data": dict(alert.data),
        "sirene_only": alert.sirene_only and not hiding_over(alert),
        "hidden_until": alert.hidden_until.isoformat()
        if alert.hidden_until is not None and not hiding_over(alert) else None,
        "review_date": alert.review_date.isoformat(),
        "created_at": alert.created_at.isoformat(),
        "created_by": alert.created_by,
        "validated_at": alert.validated_at.isoformat() if alert.validated_at else None,
        "validated_by": alert.validated_by,
        "flags": [{"country": f.country, "reason": f.reason, "created_at": f.created_at.isoformat(),
                   "withdrawn": f.withdrawn_at is not None} for f in flags],
        "links": visible_links,
        "misused_identity": [{"id": m.id, "victim": m.victim, "consent_reference": m.consent_reference,
                              "consent_given_on": m.consent_given_on.isoformat()} for m in misused],
    }
    if principal.can(READ_SUPPLEMENTARY):
        view["supplementary_information"] = alert.supplementary_information
    return view


# --- reading ---------------------------------------------------------------------------------

def get_alert(session: Session, principal: Principal, alert_id: str, *, purpose: str) -> dict[str, Any]:
    """One alert by its id or Schengen identifier, as the caller may see it (audited)."""
    alert = load_alert(session, alert_id)
    require_visible(session, principal, alert, "alerts.read", purpose)
    view = alert_view(session, principal, alert)
    audit.record(session, principal, "alerts.read", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], result_count=1)
    return view


def list_drafts(session: Session, principal: Principal, *, purpose: str, limit: int = 100) -> list[dict[str, Any]]:
    """The validation queue: drafts the caller may validate (not their own first)."""
    audit.require(session, principal, "alerts.validate", action="alerts.queue", subject_type=SUBJECT,
                  purpose=purpose, what="the validation queue")
    rows = session.scalars(sa.select(Alert).where(Alert.status == "draft")
                           .order_by(Alert.created_at).limit(limit)).all()
    out: list[dict[str, Any]] = [{"alert_id": a.id, "schengen_id": a.schengen_id, "category": a.category,
            "summary": a.summary, "created_by": a.created_by, "created_at": a.created_at.isoformat(),
            "own": a.created_by == principal.user_id} for a in rows if can_see(principal, a)]
    audit.record(session, principal, "alerts.queue", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[o["alert_id"] for o in out], result_count=len(out))
    return out


# --- entry and lifecycle ---------------------------------------------------------------------

def _new_schengen_id(country: str) -> str:
    return f"{country}{secrets.randbelow(10**16):016d}"


def _index_rows(alert_id: str, category: Category, data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    keys, idents = index_entries(category, data)
    year = birth_year(data)
    return ([{"key": k, "birth_year": year, "alert_id": alert_id} for k in keys],
            [{"value": v, "kind": kind, "alert_id": alert_id} for kind, v in idents])


def _check_duplicate(session: Session, checked: CheckedAlert, country: str,
                     exclude: str | None = None) -> None:
    """Compatibility (Art 23): one alert per object per category per issuing country."""
    if checked.schengen_id and session.scalar(
            sa.select(Alert.id).where(Alert.schengen_id == checked.schengen_id)):
        raise DuplicateAlertError(f"an alert with Schengen identifier {checked.schengen_id} exists",
                                  field="schengen_id")
    _, idents = index_entries(checked.category, checked.data)
    for kind, value in (idents if checked.category.kind == "object" else set()):
        q = (sa.select(Alert.schengen_id).join(AlertIdentifier, AlertIdentifier.alert_id == Alert.id)
             .where(AlertIdentifier.value == value, AlertIdentifier.kind == kind,
                    Alert.category == checked.category.code, Alert.issuing_country == country))
        if exclude:
            q = q.where(Alert.id != exclude)
        existing = session.scalar(q.limit(1))
        if existing:
            raise DuplicateAlertError(
                f"field 'data.{kind}': {checked.category.label} {value} already has alert {existing}; "
                "update that alert instead", field=f"data.{kind}")


def _insert_alert(session: Session, alert: Alert) -> None:
    category = get_category(alert.category)
    keys, idents = _index_rows(alert.id, category, alert.data)
    session.add(alert)
    session.flush()
    if keys:
        session.execute(sa.insert(AlertNameKey), keys)
    if idents:
        session.execute(sa.insert(AlertIdentifier), idents)


def _reindex(session: Session, alert: Alert) -> None:
    session.execute(sa.delete(AlertNameKey).where(AlertNameKey.alert_id == alert.id))
    session.execute(sa.delete(AlertIdentifier).where(AlertIdentifier.alert_id == alert.id))
    keys, idents = _index_rows(alert.id, get_category(alert.category), alert.data)
    if keys:
        session.execute(sa.insert(AlertNameKey), keys)
    if idents:
        session.execute(sa.insert(AlertIdentifier), idents)


def _person_columns(data: dict[str, Any]) -> dict[str, Any]:
    return {"date_of_birth": data.get("date_of_birth"), "sex": data.get("sex"),
            "nationalities": ",".join(data.get("nationalities", [])) or None}


def create_alert(session: Session, principal: Principal, payload: dict[str, Any], *,
                 purpose: str) -> dict[str, Any]:
    """Enter a national alert as a draft; a second user validates it (four eyes)."""
    category = get_category(str(payload.get("category", ""))) if isinstance(payload, dict) \
        and payload.get("category") in CATEGORIES else None
    audit.require(session, principal, category.enter_permission if category else "alerts.enter",
                  action="alerts.create", subject_type=SUBJECT, purpose=purpose,
                  what="enter alerts")
    checked = check_alert(payload)
    country = get_settings().country
    if checked.issuing_country and checked.issuing_country != country:
        raise ValidationError(
            f"field 'issuing_country': this node enters alerts of {country} only; "
            f"alerts of {checked.issuing_country} arrive through `granica alerts import`",
            field="issuing_country")
    checked.schengen_id = checked.schengen_id or _new_schengen_id(country)
    _check_duplicate(session, checked, country)
    compatibility.check(session, checked.category, checked.data)
    now = clock.now()
    alert = Alert(
        id=new_id(), schengen_id=checked.schengen_id, issuing_country=country,
        category=checked.category.code, kind=checked.category.kind, status="draft",
        data=checked.data, supplementary_information=checked.supplementary_information,
        sirene_only=checked.sirene_only, summary=summary_of(checked.category, checked.data),
        created_by=principal.user_id, created_at=now, updated_at=now,
        review_date=_add_years(clock.today(), review_period_years(checked.category, checked.data)),
        flag_count=0, misused_count=0, **_person_columns(checked.data),
    )
    _insert_alert(session, alert)
    audit.record(session, principal, "alerts.create", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"schengen_id": alert.schengen_id,
                                                  "category": alert.category})
    return alert_view(session, principal, alert)


def update_alert(session: Session, principal: Principal, alert_id: str, payload: dict[str, Any], *,
                 purpose: str) -> dict[str, Any]:
    """Change a national alert's data; a changed active alert goes back to draft for validation."""
    alert = load_alert(session, alert_id)
    category = get_category(alert.category)
    audit.require(session, principal, category.enter_permission, action="alerts.update",
                  subject_type=SUBJECT, subject_ids=[alert.id], purpose=purpose, what="change alerts")
    require_national(session, principal, alert, "alerts.update", purpose)
    data = check_data(category, payload.get("data", payload))
    checked = CheckedAlert(category, data, None, None, None, False, None, None)
    _check_duplicate(session, checked, alert.issuing_country, exclude=alert.id)
    compatibility.check(session, checked.category, checked.data, exclude=alert.id)
    alert.data = data
    alert.summary = summary_of(category, data)
    for k, v in _person_columns(data).items():
        setattr(alert, k, v)
    if "supplementary_information" in payload and principal.can(READ_SUPPLEMENTARY):
        alert.supplementary_information = payload["supplementary_information"] or None
    alert.status = "draft"
    alert.validated_by = alert.validated_at = None
    alert.created_by = principal.user_id  # the four eyes apply to the change
    alert.updated_at = clock.now()
    _reindex(session, alert)
    audit.record(session, principal, "alerts.update", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id])
    return alert_view(session, principal, alert)


def validate_alert(session: Session, principal: Principal, alert_id: str, *, purpose: str) -> dict[str, Any]:
    """Four eyes: a second user with the validate permission makes a draft active."""
    alert = load_alert(session, alert_id)
    category = get_category(alert.category)
    audit.require(session, principal, category.validate_permission, action="alerts.validate",
                  subject_type=SUBJECT, subject_ids=[alert.id], purpose=purpose,
                  what="validate alerts")
    require_national(session, principal, alert, "alerts.validate", purpose)
    if alert.status != "draft":
        raise ConflictError(f"alert {alert.schengen_id} is already {alert.status}")
    if alert.created_by == principal.user_id:
        raise ValidationError(
            f"alert {alert.schengen_id}: the user who entered it cannot validate it (four eyes); "
            "ask a colleague with the validate permission", field="validated_by")
    alert.status = "active"
    alert.validated_by = principal.user_id
    alert.validated_at = alert.updated_at = clock.now()
    details = None
    if alert.sirene_only and alert.hidden_until is None:
        # entered for the SIRENE Bureau only: hidden from now, for as long as a hiding lasts
        alert.hidden_until = alert.validated_at + dt.timedelta(hours=SIRENE_ONLY_HOURS)
        details = {"hidden_until": alert.hidden_until.isoformat()}
    audit.record(session, principal, "alerts.validate", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details=details)
    return alert_view(session, principal, alert)


def flag_alert(session: Session, principal: Principal, alert_id: str, *, reason: str,
               purpose: str) -> dict[str, Any]:
    """This country will not execute the action (1862 Arts 24-25), with the reason recorded."""
    alert = load_alert(session, alert_id)
    audit.require(session, principal, "alerts.validate", action="alerts.flag", subject_type=SUBJECT,
                  subject_ids=[alert.id], purpose=purpose, what="flag alerts")
    require_visible(session, principal, alert, "alerts.flag", purpose)
    reason = (reason or "").strip()
    if len(reason) < 5 or len(reason) > 1000:
        raise ValidationError("field 'reason': state why the action cannot be executed (5-1000 characters)",
                              field="reason")
    session.add(AlertFlag(id=new_id(), alert_id=alert.id, country=get_settings().country,
                          reason=reason, created_by=principal.user_id, created_at=clock.now()))
    alert.flag_count = (alert.flag_count or 0) + 1
    session.flush()
    audit.record(session, principal, "alerts.flag", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"reason": reason})
    return alert_view(session, principal, alert)


def hide_alert(session: Session, principal: Principal, alert_id: str, *, hours: float,
               reason: str, purpose: str) -> dict[str, Any]:
    """Make a national arrest alert unavailable to end users for an operation: only the SIRENE
    Bureau sees it, for at most 48 hours from now; hiding it again renews it by as much.
    The participating states are told through the SIRENE Bureau (the reason is audited)."""
    alert = load_alert(session, alert_id)
    audit.require(session, principal, "alerts.validate", action="alerts.hide", subject_type=SUBJECT,
                  subject_ids=[alert.id], purpose=purpose, what="hide alerts for an operation")
    require_national(session, principal, alert, "alerts.hide", purpose)
    if alert.category not in SIRENE_ONLY_CATEGORIES:
        raise ValidationError(f"alert {alert.schengen_id} is a {get_category(alert.category).label} "
                              "alert: only arrest alerts are hidden for an operation",
                              field="alert_id")
    if alert.status != "active":
        raise ConflictError(f"alert {alert.schengen_id} is a draft: validate it first",
                            field="alert_id")
    if not 0 < hours <= SIRENE_ONLY_HOURS:
        raise ValidationError(f"field 'hours': {hours:g} is not within 0 to {SIRENE_ONLY_HOURS} hours (hide "
                              "again before the end to renew)", field="hours")
    reason = (reason or "").strip()
    if len(reason) < 5 or len(reason) > 1000:
        raise ValidationError("field 'reason': name the operation the alert is hidden for "
                              "(5-1000 characters)", field="reason")
    now = clock.now()
    # a hiding without an end (an alert stored so before hidings had one) gets one here
    renewed = alert.sirene_only and not hiding_over(alert)
    alert.sirene_only, alert.hidden_until = True, now + dt.timedelta(hours=hours)
    alert.updated_at = now
    session.flush()
    audit.record(session, principal, "alerts.hide", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"reason": reason, "hours": hours,
                                                  "until": alert.hidden_until.isoformat(),
                                                  "renewed": renewed})
    return alert_view(session, principal, alert)


def unhide_expired(session: Session, principal: Principal) -> int:
    """Alerts whose hiding for an operation has ended are available to end users again."""
    now = clock.now()
    due = list(session.scalars(sa.select(Alert).where(
        Alert.hidden_until.is_not(None), Alert.hidden_until <= now)))
    for alert in due:
        alert.sirene_only, alert.hidden_until, alert.updated_at = False, None, now
    if due:
        audit.record(session, principal, "alerts.unhide", purpose="end of hiding",
                     subject_type=SUBJECT, subject_ids=[a.id for a in due], result_count=len(due))
    return len(due)


def link_alerts(session: Session, principal: Principal, alert_id: str, other_id: str, *,
                reason: str, purpose: str) -> dict[str, Any]:
    """Link two alerts for an operational need (1862 Art 63); a link confers no access."""
    alert, other = load_alert(session, alert_id), load_alert(session, other_id)
    audit.require(session, principal, "alerts.enter", action="alerts.link", subject_type=SUBJECT,
                  subject_ids=[alert.id, other.id], purpose=purpose, what="link alerts")
    for a in (alert, other):
        require_visible(session, principal, a, "alerts.link", purpose)
    if alert.id == other.id:
        raise ValidationError("an alert cannot be linked to itself", field="other_alert_id")
    reason = (reason or "").strip()
    if not 5 <= len(reason) <= 1000:
        raise ValidationError("field 'reason': state the operational need (5-1000 characters)",
                              field="reason")
    exists = session.scalar(sa.select(AlertLink.id).where(sa.or_(
        sa.and_(AlertLink.alert_id == alert.id, AlertLink.other_alert_id == other.id),
        sa.and_(AlertLink.alert_id == other.id, AlertLink.other_alert_id == alert.id))))
    if exists:
        raise DuplicateAlertError(f"alerts {alert.schengen_id} and {other.schengen_id} are already linked")
    session.add(AlertLink(id=new_id(), alert_id=alert.id, other_alert_id=other.id, reason=reason,
                          created_by=principal.user_id, created_at=clock.now()))
    session.flush()
    audit.record(session, principal, "alerts.link", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id, other.id], details={"reason": reason})
    return alert_view(session, principal, alert)


_VICTIM_FIELDS = ("surname", "forenames", "date_of_birth", "place_of_birth", "sex", "nationalities",
                  "physical_characteristics", "photo_refs", "fingerprint_refs", "identity_documents")


def add_misused_identity(session: Session, principal: Principal, alert_id: str, *,
                         victim: dict[str, Any], consent_reference: str, consent_given_on: str,
                         purpose: str) -> dict[str, Any]:
    """Add the data of the person whose identity is misused, only with their explicit consent."""
    alert = load_alert(session, alert_id)
    category = get_category(alert.category)
    audit.require(session, principal, category.enter_permission, action="alerts.misused_identity",
                  subject_type=SUBJECT, subject_ids=[alert.id], purpose=purpose,
                  what="record misused identities")
    require_national(session, principal, alert, "alerts.misused_identity", purpose)
    if category.kind != "person":
        raise ValidationError("a misused-identity extension belongs to a person alert", field="alert_id")
    consent_reference = (consent_reference or "").strip()
    if not consent_reference:
        raise ValidationError("field 'consent_reference': the victim's explicit consent must be recorded",
                              field="consent_reference")
    if len(consent_reference) > 200:
        raise ValidationError("field 'consent_reference': too long (at most 200)", field="consent_reference")
    given = parse_date(consent_given_on, "consent_given_on")
    if given > clock.today():
        raise ValidationError("field 'consent_given_on': is in the future", field="consent_given_on")
    specs = category.field_map
    if not isinstance(victim, dict):
        raise ValidationError("field 'victim': expected an object", field="victim")
    out: dict[str, Any] = {}
    for key, value in victim.items():
        if key not in _VICTIM_FIELDS:
            raise ValidationError(f"field 'victim.{key}': unknown; allowed: {', '.join(_VICTIM_FIELDS)}",
                                  field=f"victim.{key}")
        if value not in (None, "", []):
            out[key] = check_value(specs[key], value, f"victim.{key}")
    if not out.get("surname"):
        raise ValidationError("field 'victim.surname': missing (mandatory)", field="victim.surname")
    row = MisusedIdentity(id=new_id(), alert_id=alert.id, victim=out,
                          consent_reference=consent_reference, consent_given_on=given,
                          created_by=principal.user_id, created_at=clock.now())
    session.add(row)
    alert.misused_count = (alert.misused_count or 0) + 1
    session.flush()
    audit.record(session, principal, "alerts.misused_identity", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"consent_reference": consent_reference})
    return alert_view(session, principal, alert)


def withdraw_misused_identity(session: Session, principal: Principal, extension_id: str, *,
                              purpose: str) -> None:
    """The victim withdrew consent: their data goes at once."""
    row = session.get(MisusedIdentity, extension_id)
    if row is None:
        raise NotFoundError(f"no misused-identity extension '{extension_id}'", field="extension_id")
    audit.require(session, principal, "alerts.enter", action="alerts.misused_identity.withdraw",
                  subject_type=SUBJECT, subject_ids=[row.alert_id], purpose=purpose)
    session.delete(row)
    alert = session.get(Alert, row.alert_id)
    if alert is not None:
        alert.misused_count = max(0, (alert.misused_count or 0) - 1)
    audit.record(session, principal, "alerts.misused_identity.withdraw", purpose=purpose,
                 subject_type=SUBJECT, subject_ids=[row.alert_id])


def extend_alert(session: Session, principal: Principal, alert_id: str, *, reason: str,
                 purpose: str) -> dict[str, Any]:
    """Keep an alert for another review period after a recorded individual assessment."""
    alert = load_alert(session, alert_id)
    category = get_category(alert.category)
    audit.require(session, principal, category.validate_permission, action="alerts.extend",
                  subject_type=SUBJECT, subject_ids=[alert.id], purpose=purpose, what="extend alerts")
    require_national(session, principal, alert, "alerts.extend", purpose)
    reason = (reason or "").strip()
    if len(reason) < 10 or len(reason) > 1000:
        raise ValidationError(
            "field 'reason': record the individual assessment that justifies keeping the alert "
            "(10-1000 characters)", field="reason")
    previous = alert.review_date
    alert.review_date = _add_years(max(previous, clock.today()), review_period_years(category, alert.data))
    alert.review_warned_at = None
    alert.updated_at = clock.now()
    session.add(AlertExtension(id=new_id(), alert_id=alert.id, previous_review_date=previous,
                               new_review_date=alert.review_date, reason=reason,
                               created_by=principal.user_id, created_at=clock.now()))
    session.flush()
    audit.record(session, principal, "alerts.extend", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"reason": reason, "previous": previous.isoformat(),
                                                  "new": alert.review_date.isoformat()})
    return alert_view(session, principal, alert)


def delete_alert(session: Session, principal: Principal, alert_id: str, *, reason: str,
                 purpose: str) -> None:
    """Delete a national alert (purpose achieved, surrender, revocation); the audit trail stays."""
    alert = load_alert(session, alert_id)
    audit.require(session, principal, "alerts.delete", action="alerts.delete", subject_type=SUBJECT,
                  subject_ids=[alert.id], purpose=purpose, what="delete alerts")
    require_national(session, principal, alert, "alerts.delete", purpose)
    _remove(session, [alert.id])
    audit.record(session, principal, "alerts.delete", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"schengen_id": alert.schengen_id, "reason": reason})


def _remove(session: Session, ids: list[str]) -> None:
    # explicit deletes: the same on both databases whatever the foreign-key settings
    for table in (AlertNameKey, AlertIdentifier, AlertFlag, MisusedIdentity, AlertExtension,
                  AlertFingerprint):
        session.execute(sa.delete(table).where(table.alert_id.in_(ids)))
    session.execute(sa.delete(AlertLink).where(sa.or_(AlertLink.alert_id.in_(ids),
                                                      AlertLink.other_alert_id.in_(ids))))
    session.execute(sa.delete(Alert).where(Alert.id.in_(ids)))
    gallery_for(session).remove_alerts(ids)


def review_warnings(session: Session, principal: Principal, *, purpose: str) -> list[dict[str, Any]]:
    """National alerts whose review date is within 4 months and not yet warned about."""
    horizon = clock.today() + REVIEW_WARNING
    rows = session.scalars(sa.select(Alert).where(
        Alert.issuing_country == get_settings().country, Alert.review_date <= horizon,
        Alert.review_warned_at.is_(None))).all()
    now = clock.now()
    out = []
    for a in rows:
        a.review_warned_at = now
        out.append({"alert_id": a.id, "schengen_id": a.schengen_id, "category": a.category,
                    "review_date": a.review_date.isoformat(), "created_by": a.created_by})
    audit.record(session, principal, "alerts.review_warning", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[o["alert_id"] for o in out], result_count=len(out))
    return out


def delete_expired(session: Session, principal: Principal, *, purpose: str = "deletion at expiry") -> int:
    """Delete every alert past its review date; only the audit trail remains."""
    today = clock.today()
    rows = session.execute(sa.select(Alert.id, Alert.schengen_id, Alert.category)
                           .where(Alert.review_date < today)).all()
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        ids = [r[0] for r in chunk]
        _remove(session, ids)
        audit.record(session, principal, "alerts.expire", purpose=purpose, subject_type=SUBJECT,
                     subject_ids=ids, result_count=len(ids),
                     details={"schengen_ids": [r[1] for r in chunk]})
    return len(rows)


def report_hit(session: Session, principal: Principal, alert_id: str, *, context: dict[str, Any] | None = None,
               purpose: str) -> str:
    """Record a hit; a hit on a foreign alert goes to the SIRENE Bureau (sis_hit_report)."""
    alert = load_alert(session, alert_id)
    require_visible(session, principal, alert, "alerts.hit", purpose)
    row = HitReport(id=new_id(), alert_id=alert.id, schengen_id=alert.schengen_id,
                    issuing_country=alert.issuing_country, category=alert.category,
                    routed_to="SIRENE", status="new", reported_by=principal.user_id,
                    reported_at=clock.now(), context=context)
    session.add(row)
    session.flush()
    audit.record(session, principal, "alerts.hit", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[alert.id], details={"hit_report": row.id, "foreign": is_foreign(alert)})
    jobs.nudge_after_commit(session, "sirene.intake")  # the bureau takes it up at once
    return row.id


def hit_reports_for_sirene(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """The hit reports the SIRENE Bureau has not taken up yet, oldest first (locked on
    PostgreSQL, so two bureau workers never take the same one)."""
    rows = session.scalars(sa.select(HitReport).where(HitReport.status == "new")
                           .order_by(HitReport.reported_at).limit(limit)
                           .with_for_update(skip_locked=True)).all()
    return [{"id": r.id, "alert_id": r.alert_id, "schengen_id": r.schengen_id,
             "issuing_country": r.issuing_country, "category": r.category,
             "reported_by": r.reported_by, "reported_at": r.reported_at,
             "context": dict(r.context or {})} for r in rows]


def alert_brief(session: Session, alert_ref: str) -> dict[str, Any] | None:
    """What the SIRENE Bureau files a received form under: the alert's id, category and
    issuer, by id or Schengen identifier; None when this register does not hold it. No
    personal data: the bureau reads the alert itself with `get_alert` (audited)."""
    row = session.execute(sa.select(Alert.id, Alert.schengen_id, Alert.category,
                                    Alert.issuing_country)
                          .where(sa.or_(Alert.id == alert_ref,
                                        Alert.schengen_id == alert_ref.upper()))).first()
    if row is None:
        return None
    return {"alert_id": row.id, "schengen_id": row.schengen_id, "category": row.category,
            "issuing_country": row.issuing_country}


def mark_hit_report(session: Session, report_id: str, status: str) -> None:
    """The bureau took up the report (`taken`), or it needs no form (`national`)."""
    session.execute(sa.update(HitReport).where(HitReport.id == report_id).values(status=status))


# --- import and export -----------------------------------------------------------------------

@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "imported": self.imported, "rejected": len(self.rejected),
                "rejections": self.rejected}


def _lines(source: IO[bytes] | Iterable[bytes | str], max_bytes: int) -> Iterator[tuple[int, bytes | str]]:
    total = 0
    for number, raw in enumerate(source, start=1):
        total += len(raw)
        if total > max_bytes:
            raise TooLargeError(
                f"upload over {max_bytes} bytes at line {number}; split the file or raise "
                "GRANICA_MAX_UPLOAD_BYTES", line=number)
        yield number, raw


def _parse_line(number: int, raw: bytes | str) -> Any:
    if len(raw) > MAX_LINE_BYTES:
        raise InputFormatError(f"line {number}: longer than {MAX_LINE_BYTES} bytes", line=number)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"line {number}: not UTF-8 (byte {exc.start})", line=number) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFormatError(f"line {number}: malformed JSON at column {exc.colno}: {exc.msg}",
                               line=number) from None


def _alert_row(checked: CheckedAlert, principal: Principal, now: dt.datetime) -> dict[str, Any]:
    category = checked.category
    status = checked.status or "active"
    review = checked.review_date or _add_years(clock.today(), review_period_years(category, checked.data))
    return {
        "id": new_id(), "schengen_id": checked.schengen_id, "issuing_country": checked.issuing_country,
        "category": category.code, "kind": category.kind, "status": status, "data": checked.data,
        "supplementary_information": checked.supplementary_information,
        "sirene_only": checked.sirene_only, "summary": summary_of(category, checked.data),
        "hidden_until": now + dt.timedelta(hours=SIRENE_ONLY_HOURS)
        if checked.sirene_only and status == "active" else None,
        "created_by": principal.user_id, "created_at": now, "updated_at": now,
        "validated_by": principal.user_id if status == "active" else None,
        "validated_at": now if status == "active" else None,
        "review_date": review, "review_warned_at": None, "flag_count": 0, "misused_count": 0,
        **_person_columns(checked.data),
    }


def _store_batch(session: Session, rows: list[dict[str, Any]]) -> None:
    keys: list[dict[str, Any]] = []
    idents: list[dict[str, Any]] = []
    for row in rows:
        k, i = _index_rows(row["id"], CATEGORIES[row["category"]], row["data"])
        keys += k
        idents += i
    bulk_insert(session, _ALERT_TABLE, rows)
    bulk_insert(session, _KEY_TABLE, keys)
    bulk_insert(session, _IDENT_TABLE, idents)


def import_alerts(session: Session, principal: Principal, source: IO[bytes] | Iterable[bytes | str], *,
                  purpose: str, batch_size: int = 2000,
                  progress: Callable[[ImportReport], None] | None = None,
                  max_bytes: int | None = None) -> ImportReport:
    """Load alerts, one JSON object per line (the export's shape), in all-or-nothing batches.

    Each batch is validated line by line first; only good lines are written, and a batch that
    still fails on insert is retried line by line, each line in its own savepoint, so every
    alert is stored whole with its keys and identifiers or not at all. Commits per batch.
    """
    audit.require(session, principal, "alerts.import", action="alerts.import", subject_type=SUBJECT,
                  purpose=purpose, what="import alerts")
    limit = max_bytes if max_bytes is not None else get_settings().max_upload_bytes
    report = ImportReport()
    pending: list[tuple[int, CheckedAlert]] = []

    def flush() -> None:
        if pending:
            _import_batch(session, principal, pending, report, purpose)
            pending.clear()
            if progress:
                progress(report)

    for number, raw in _lines(source, limit):
        if not raw.strip():
            continue
        report.read += 1
        try:
            checked = check_alert(_parse_line(number, raw), line=number)
            if not checked.schengen_id or not checked.issuing_country:
                missing = "schengen_id" if not checked.schengen_id else "issuing_country"
                raise ValidationError(f"line {number}: field '{missing}': missing (mandatory on import)",
                                      field=missing, line=number)
        except GranicaError as exc:
            report.rejected.append({"line": number, "error": exc.code, "field": exc.field,
                                    "message": exc.message})
            continue
        pending.append((number, checked))
        if len(pending) >= batch_size:
            flush()
    flush()
    return report


def _import_batch(session: Session, principal: Principal, batch: list[tuple[int, CheckedAlert]],
                  report: ImportReport, purpose: str) -> None:
    ids = [c.schengen_id for _, c in batch]
    existing = set(session.scalars(sa.select(Alert.schengen_id).where(Alert.schengen_id.in_(ids))))
    seen: set[str] = set()
    good: list[tuple[int, dict[str, Any]]] = []
    now = clock.now()
    for number, checked in batch:
        sid = checked.schengen_id or ""
        if sid in existing or sid in seen:
            where = "already in the register" if sid in existing else "repeated in this file"
            report.rejected.append({"line": number, "error": "duplicate_alert", "field": "schengen_id",
                                    "message": f"line {number}: field 'schengen_id': alert {sid} {where}"})
            continue
        seen.add(sid)
        good.append((number, _alert_row(checked, principal, now)))
    if not good:
        return
    try:
        with session.begin_nested():
            _store_batch(session, [row for _, row in good])
        stored = good
    except sa.exc.DBAPIError:
        stored = []
        for number, row in good:  # find the culprit; everyone else still gets in
            try:
                with session.begin_nested():
                    _store_batch(session, [row])
                stored.append((number, row))
            except sa.exc.DBAPIError as exc:
                report.rejected.append({"line": number, "error": "database_error", "field": None,
                                        "message": f"line {number}: not stored: {str(exc.orig)[:200]}"})
    audit.record(session, principal, "alerts.import", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[row["id"] for _, row in stored], result_count=len(stored),
                 details={"lines": [good[0][0], good[-1][0]]})
    session.commit()
    report.imported += len(stored)


def export_alerts(session: Session, principal: Principal, *, purpose: str,
                  category: str | None = None, issuing_country: str | None = None,
                  chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every alert (filtered) the caller may see, one dict per alert in the API's shape.

    Audited before streaming, with exactly the ids (and the count) the export yields: the
    visibility filter runs first, on the few columns it reads, so the audit row names no
    alert the caller was not given."""
    audit.require(session, principal, "alerts.export", action="alerts.export", subject_type=SUBJECT,
                  purpose=purpose, what="export alerts")
    q = sa.select(Alert.id, Alert.category, Alert.sirene_only, Alert.status)
    if category:
        q = q.where(Alert.category == get_category(category).code)
    if issuing_country:
        q = q.where(Alert.issuing_country == issuing_country.upper())
    ids = [row.id for row in session.execute(q.order_by(Alert.id)) if can_see(principal, row)]
    audit.record(session, principal, "alerts.export", purpose=purpose, subject_type=SUBJECT,
                 query={"category": category, "issuing_country": issuing_country},
                 result_count=len(ids), subject_ids=ids)
    for start in range(0, len(ids), chunk):
        for alert in session.scalars(sa.select(Alert).where(Alert.id.in_(ids[start:start + chunk]))
                                     .order_by(Alert.id)):
            yield alert_view(session, principal, alert)


def reindex_all(session: Session, principal: Principal, *, purpose: str = "reindex names") -> int:
    """Rebuild every blocking key and identifier (after the name-matching backend changed)."""
    audit.require(session, principal, "alerts.import", action="alerts.reindex", subject_type=SUBJECT,
                  purpose=purpose, what="rebuild the search index")
    session.execute(sa.delete(AlertNameKey))
    session.execute(sa.delete(AlertIdentifier))
    n = 0
    for rows in session.execute(sa.select(Alert.id, Alert.category, Alert.data)).partitions(2000):
        keys: list[dict[str, Any]] = []
        idents: list[dict[str, Any]] = []
        for alert_id, cat, data in rows:
            k, i = _index_rows(alert_id, CATEGORIES[cat], data)
            keys += k
            idents += i
        if keys:
            session.execute(sa.insert(AlertNameKey), keys)
        if idents:
            session.execute(sa.insert(AlertIdentifier), idents)
        n += len(rows)
    audit.record(session, principal, "alerts.reindex", purpose=purpose, subject_type=SUBJECT,
                 result_count=n)
    return n


def export_line(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False, sort_keys=True)
