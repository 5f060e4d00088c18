"""The SIRENE Bureau's work: cases, forms sent and received, deadlines, the duty board and
the statistics. Every function checks the caller's permission and records what it read or
changed in the audit log; forms travel to the other bureaux through `granica.exchange`.

The walk of a hit (architecture.md): a border guard's check stores a hit report in the alert
register (`sis.service.report_hit`) and nudges the job `sirene.intake`; `take_hits()` opens a
case per report on another country's alert and sends that country's bureau a form G in the
same transaction. The other bureau's node files the G under a case of its own
(`receive_form()`, the exchange's handler of `sirene.form`) with the reply due in 12 hours
(at once when urgent); its operator's answer (`send_form(..., reply_to=...)`, an M or L)
arrives on the first case and marks the G answered, inside or outside its deadline.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import shlex
import subprocess
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal, system_principal
from granica.errors import (
    ConflictError,
    GranicaError,
    NotFoundError,
    PermissionDenied,
    TooLargeError,
    ValidationError,
)
from granica.exchange import service as exchange
from granica.exchange.envelope import Envelope
from granica.exchange.peers import peers
from granica.settings import get_settings
from granica.sirene import models as m
from granica.sirene.forms import FormSpec, catalogue, check_form
from granica.sis import service as sis
from granica.storage import new_id

log = logging.getLogger("granica.sirene")

OPERATE = "sirene.operate"
SUBJECT = "sirene_case"
KIND = "sirene.form"  # the exchange's message kind of a SIRENE form
INBOX = "SIRENE inbox"


@dataclass(frozen=True)
class Upload:
    """An attachment as it arrives: its file name, media type and bytes."""

    name: str
    media_type: str
    content: bytes


# --- references, deadlines ------------------------------------------------------------


_COUNTER = cast(sa.Table, m.Counter.__table__)
# The next number taken in one statement (the UPDATE locks the row on PostgreSQL).
_TAKE_NUMBER = (sa.update(_COUNTER).where(_COUNTER.c.kind == sa.bindparam("k"),
                                          _COUNTER.c.year == sa.bindparam("y"))
                .values(value=_COUNTER.c.value + 1).returning(_COUNTER.c.value))


def _next_number(session: Session, kind: str, year: int) -> int:
    taken = session.execute(_TAKE_NUMBER, {"k": kind, "y": year}).scalar_one_or_none()
    if taken is None:  # the year's first
        session.execute(sa.insert(_COUNTER).values(kind=kind, year=year, value=1))
        return 1
    return int(taken)


def _reference(session: Session, kind: str) -> str:
    """`RS-F-2026-000042`: bureau, kind (C case, F form), year, number; unique in the state."""
    now = clock.now()
    number = _next_number(session, kind, now.year)
    return f"{get_settings().bureau_code}-{kind}-{now.year}-{number:06d}"


def is_urgent(category: str, header: dict[str, Any]) -> bool:
    """Immediately, not within 12 hours: terrorism, arrest, children and vulnerable persons,
    and what the sender marked URGENT (field 311)."""
    cat = catalogue()
    offence = str(header.get("offence_category") or "").strip().lower()
    return (header.get("important") == "URGENT" or category in cat.immediate_categories
            or offence in cat.immediate_offences)


def due_time(spec: FormSpec, fields: dict[str, Any], urgent: bool,
             start: dt.datetime) -> dt.datetime | None:
    """When the answer to this form is due, counted from `start`; None when none is asked."""
    hours = spec.reply_hours_for(fields)
    if hours <= 0:
        return None
    due = start + dt.timedelta(hours=hours)
    if urgent:
        due = min(due, start + dt.timedelta(minutes=get_settings().sirene_immediate_minutes))
    return due


def bureau_for(country: str) -> str | None:
    """The peer bureau of a country (its code is the country's, or starts with it)."""
    known = peers()
    if country in known:
        return country
    return next((code for code in sorted(known) if code.startswith(country)), None)


# --- cases ----------------------------------------------------------------------------


def _subject_of(alert: dict[str, Any] | None, fallback: str) -> str:
    if not alert:
        return fallback
    data = alert.get("data") or {}
    name = " ".join(str(data.get(k) or "") for k in ("surname", "forenames")).strip()
    return (name or str(alert.get("summary") or "") or fallback)[:300]


def _new_case(session: Session, *, counterpart: str, schengen_id: str, alert_id: str | None,
              category: str, issuing_country: str, origin: str, subject: str, urgent: bool,
              conversation: str | None = None, hit_report_id: str | None = None) -> m.Case:
    now = clock.now()
    reference = _reference(session, "C")
    case = m.Case(id=new_id(), reference=reference, conversation=conversation or reference,
                  counterpart=counterpart, schengen_id=schengen_id, alert_id=alert_id,
                  alert_category=category, issuing_country=issuing_country, origin=origin,
                  subject=subject, state=m.NEW, urgent=urgent, hit_report_id=hit_report_id,
                  opened_at=now, updated_at=now,
                  search_text=f"{reference} {schengen_id} {subject} {category}".lower())
    session.add(case)
    session.flush()
    return case


def _load_case(session: Session, case_ref: str) -> m.Case:
    """A case by its id or its reference (RS-C-2026-000042)."""
    if "-C-" in case_ref.upper():
        case = session.scalar(sa.select(m.Case).where(m.Case.reference == case_ref.upper()))
    else:
        case = session.get(m.Case, case_ref)
    if case is None:
        raise NotFoundError(f"no SIRENE case '{case_ref}'", field="case_id")
    return case


def open_case(session: Session, principal: Principal, *, alert_ref: str, counterpart: str,
              purpose: str) -> dict[str, Any]:
    """A case on an alert with another bureau (an alert entered here, whose form A goes to
    the others; a request of our own). The alert must be in the register."""
    audit.require(session, principal, OPERATE, action="sirene.open", subject_type=SUBJECT,
                  purpose=purpose, what="open SIRENE cases")
    alert = sis.get_alert(session, principal, alert_ref, purpose=purpose)
    code = counterpart.strip().upper()
    if code not in peers():
        raise ValidationError(f"no link to bureau {code!r} is configured; the bureaux are "
                              f"{', '.join(sorted(peers())) or 'none (see peers.toml)'}",
                              field="counterpart")
    case = _new_case(session, counterpart=code, schengen_id=alert["schengen_id"],
                     alert_id=alert["alert_id"], category=alert["category"],
                     issuing_country=alert["issuing_country"], origin="alert",
                     subject=_subject_of(alert, alert["schengen_id"]),
                     urgent=alert["category"] in catalogue().immediate_categories)
    audit.record(session, principal, "sirene.open", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id, alert["alert_id"]], details={"reference": case.reference})
    return case_view(session, case)


def case_view(session: Session, case: m.Case, *, with_content: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "case_id": case.id, "reference": case.reference, "conversation": case.conversation,
        "counterpart": case.counterpart, "schengen_id": case.schengen_id,
        "alert_id": case.alert_id, "alert_category": case.alert_category,
        "issuing_country": case.issuing_country, "origin": case.origin,
        "subject": case.subject, "state": case.state, "urgent": case.urgent,
        "assigned_to": case.assigned_to, "hit_report_id": case.hit_report_id,
        "opened_at": case.opened_at.isoformat(), "updated_at": case.updated_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }
    if not with_content:
        return out
    messages = session.scalars(sa.select(m.Message).where(m.Message.case_id == case.id)
                               .order_by(m.Message.message_time, m.Message.reference)).all()
    attachments: dict[str, list[dict[str, Any]]] = {}
    if messages:
        for a in session.execute(sa.select(m.Attachment.id, m.Attachment.message_id,
                                           m.Attachment.name, m.Attachment.media_type,
                                           m.Attachment.size, m.Attachment.sha256)
                                 .where(m.Attachment.message_id.in_([x.id for x in messages]))):
            attachments.setdefault(a.message_id, []).append(
                {"attachment_id": a.id, "name": a.name, "media_type": a.media_type,
                 "size": a.size, "sha256": a.sha256})
    delivery = _delivery_states(session, [x.exchange_id for x in messages
                                          if x.direction == m.OUT and x.exchange_id])
    out["messages"] = [message_view(x, attachments.get(x.id, []), delivery.get(x.exchange_id or ""))
                       for x in messages]
    out["tasks"] = [{"task_id": t.id, "text": t.text,
                     "due_at": t.due_at.isoformat() if t.due_at else None,
                     "assigned_to": t.assigned_to, "created_by": t.created_by,
                     "done_at": t.done_at.isoformat() if t.done_at else None,
                     "done_by": t.done_by}
                    for t in session.scalars(sa.select(m.Task).where(m.Task.case_id == case.id)
                                             .order_by(m.Task.created_at))]
    out["notes"] = [{"text": n.text, "created_by": n.created_by,
                     "created_at": n.created_at.isoformat()}
                    for n in session.scalars(sa.select(m.Note).where(m.Note.case_id == case.id)
                                             .order_by(m.Note.created_at))]
    return out


def _delivery_states(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(exchange.delivery_states(session, ids))


def message_view(x: m.Message, attachments: list[dict[str, Any]] | None = None,
                 delivery: str | None = None) -> dict[str, Any]:
    spec = catalogue().forms.get(x.letter)
    now = clock.now()
    return {
        "message_id": x.id, "direction": x.direction, "form": x.letter,
        "title": spec.title if spec else x.letter, "reference": x.reference,
        "sender": x.sender, "recipient": x.recipient,
        "message_time": x.message_time.isoformat(),
        "received_at": x.received_at.isoformat() if x.received_at else None,
        "urgent": x.urgent, "header": dict(x.header), "fields": dict(x.fields),
        "reply_to": x.reply_to, "due_at": x.due_at.isoformat() if x.due_at else None,
        "answered_at": x.answered_at.isoformat() if x.answered_at else None,
        "answered_by": x.answered_by,
        "overdue": bool(x.due_at and not x.answered_at and now > x.due_at),
        "answered_within_deadline": (None if not x.due_at or not x.answered_at
                                     else x.answered_at <= x.due_at),
        "delivery": delivery if x.direction == m.OUT else "received",
        "attachments": attachments or [],
    }


def get_case(session: Session, principal: Principal, case_ref: str, *,
             purpose: str) -> dict[str, Any]:
    """One case with its forms, notes and each form's delivery (audited)."""
    audit.require(session, principal, OPERATE, action="sirene.read", subject_type=SUBJECT,
                  purpose=purpose, what="read SIRENE cases")
    case = _load_case(session, case_ref)
    view = case_view(session, case)
    audit.record(session, principal, "sirene.read", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id, *([case.alert_id] if case.alert_id else [])],
                 result_count=1)
    return view


def case_for_hit(session: Session, principal: Principal, hit_report_id: str, *,
                 purpose: str) -> dict[str, Any]:
    """The read-only case view for the officer who reported the hit (the border guard): the
    case's state and each form's letter, times and delivery, not the forms' content. The
    bureau's operators see it all."""
    case = session.scalar(sa.select(m.Case).where(m.Case.hit_report_id == hit_report_id))
    if case is None:
        raise NotFoundError(f"the SIRENE Bureau has no case for hit report '{hit_report_id}' "
                            "yet; it is taken up within a minute of the hit", field="hit_report_id")
    view = case_view(session, case)
    if not principal.can(OPERATE):
        reporters = {x["header"].get("reported_by") for x in view["messages"]
                     if x["direction"] == m.OUT and x["form"] == "G"}
        if principal.user_id not in reporters:
            audit.record(session, principal, "sirene.read", purpose=purpose, subject_type=SUBJECT,
                         subject_ids=[case.id], outcome="denied")
            raise PermissionDenied("only the SIRENE Bureau and the officer who reported the hit "
                                   "may see this case")
        for x in view["messages"]:
            x["fields"], x["header"], x["attachments"] = {}, {}, []
        view["notes"] = []
    audit.record(session, principal, "sirene.read", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id], result_count=1, details={"hit_report": hit_report_id})
    return view


def list_cases(session: Session, principal: Principal, *, text: str = "", state: str = "",
               limit: int = 100, purpose: str) -> list[dict[str, Any]]:
    """Cases, newest first; `text` searches references, Schengen ids, subjects and the forms'
    text (every word must occur); `state` narrows to one state (audited with what it found)."""
    audit.require(session, principal, OPERATE, action="sirene.search", subject_type=SUBJECT,
                  purpose=purpose, what="search SIRENE cases")
    if state and state not in m.STATES:
        raise ValidationError(f"state {state!r} is not one of {', '.join(m.STATES)}", field="state")
    query = sa.select(m.Case).order_by(m.Case.updated_at.desc()).limit(min(max(limit, 1), 500))
    if state:
        query = query.where(m.Case.state == state)
    for word in text.lower().split()[:8]:
        query = query.where(m.Case.search_text.contains(word, autoescape=True))
    cases = session.scalars(query).all()
    audit.record(session, principal, "sirene.search", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[c.id for c in cases], query={"text": text, "state": state},
                 result_count=len(cases))
    return [case_view(session, c, with_content=False) for c in cases]


def add_note(session: Session, principal: Principal, case_ref: str, text: str, *,
             purpose: str) -> dict[str, Any]:
    audit.require(session, principal, OPERATE, action="sirene.note", subject_type=SUBJECT,
                  purpose=purpose, what="write in SIRENE cases")
    case = _load_case(session, case_ref)
    text = (text or "").strip()
    if not 1 <= len(text) <= 4000:
        raise ValidationError("a note has 1 to 4000 characters", field="text")
    now = clock.now()
    session.add(m.Note(id=new_id(), case_id=case.id, text=text, created_by=principal.username,
                       created_at=now))
    case.updated_at = now
    case.search_text = _with_words(case.search_text, text)
    if case.state == m.NEW:
        case.state = m.IN_PROGRESS
    audit.record(session, principal, "sirene.note", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id])
    return case_view(session, case)


def add_task(session: Session, principal: Principal, case_ref: str, text: str, *,
             due_at: dt.datetime | None = None, assign_to: str | None = None,
             purpose: str) -> dict[str, Any]:
    """A task on the case, with its deadline (shown on the duty board) and its officer."""
    audit.require(session, principal, OPERATE, action="sirene.task", subject_type=SUBJECT,
                  purpose=purpose, what="write in SIRENE cases")
    case = _load_case(session, case_ref)
    text = (text or "").strip()
    if not 1 <= len(text) <= 1000:
        raise ValidationError("a task has 1 to 1000 characters", field="text")
    if due_at is not None and due_at.tzinfo is None:
        raise ValidationError("the task's deadline needs its time zone (or UTC)", field="due_at")
    now = clock.now()
    session.add(m.Task(id=new_id(), case_id=case.id, text=text, due_at=due_at,
                       assigned_to=(assign_to or "").strip() or None,
                       created_by=principal.username, created_at=now))
    case.updated_at = now
    if case.state == m.NEW:
        case.state = m.IN_PROGRESS
    audit.record(session, principal, "sirene.task", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id], details={"due_at": due_at.isoformat() if due_at else None})
    return case_view(session, case)


def complete_task(session: Session, principal: Principal, case_ref: str, task_id: str, *,
                  purpose: str) -> dict[str, Any]:
    audit.require(session, principal, OPERATE, action="sirene.task", subject_type=SUBJECT,
                  purpose=purpose, what="write in SIRENE cases")
    case = _load_case(session, case_ref)
    task = session.scalar(sa.select(m.Task).where(m.Task.id == task_id,
                                                  m.Task.case_id == case.id))
    if task is None:
        raise NotFoundError(f"case {case.reference} has no task '{task_id}'", field="task_id")
    if task.done_at is None:
        task.done_at, task.done_by = clock.now(), principal.username
        audit.record(session, principal, "sirene.task", purpose=purpose, subject_type=SUBJECT,
                     subject_ids=[case.id], details={"done": task.id})
    return case_view(session, case)


def set_state(session: Session, principal: Principal, case_ref: str, state: str, *,
              purpose: str, assign_to: str | None = None) -> dict[str, Any]:
    """Close, reopen or take a case (`assign_to`: the operator now on it)."""
    audit.require(session, principal, OPERATE, action="sirene.state", subject_type=SUBJECT,
                  purpose=purpose, what="change SIRENE cases")
    if state not in m.STATES:
        raise ValidationError(f"state {state!r} is not one of {', '.join(m.STATES)}", field="state")
    case = _load_case(session, case_ref)
    now = clock.now()
    case.state = state
    case.closed_at = now if state == m.CLOSED else None
    case.updated_at = now
    if assign_to is not None:
        case.assigned_to = assign_to or None
    audit.record(session, principal, "sirene.state", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id], details={"state": state, "assigned_to": case.assigned_to})
    return case_view(session, case)


# --- sending --------------------------------------------------------------------------


def _check_uploads(uploads: list[Upload]) -> None:
    cat = catalogue()
    if len(uploads) > cat.max_attachments:
        raise ValidationError(f"{len(uploads)} attachments; a message carries at most "
                              f"{cat.max_attachments} (send the rest in a further form)",
                              field="attachments")
    total = sum(len(u.content) for u in uploads)
    if total > cat.max_attachment_bytes:
        raise TooLargeError(f"the attachments hold {total:,} bytes; a message carries at most "
                            f"{cat.max_attachment_bytes:,} (send the rest in a further form)")
    for u in uploads:
        if not u.content:
            raise ValidationError(f"attachment {u.name!r} is empty", field="attachments")
        if not u.name or len(u.name) > 200 or "/" in u.name or "\\" in u.name:
            raise ValidationError(f"attachment name {u.name[:60]!r} must be a file name of 1 to "
                                  "200 characters", field="attachments")


def _store_attachments(session: Session, message_id: str, uploads: list[Upload]) -> None:
    if uploads:
        session.flush()  # the message row first (no ORM relationship orders the two)
    for u in uploads:
        session.add(m.Attachment(id=new_id(), message_id=message_id, name=u.name,
                                 media_type=u.media_type[:100] or "application/octet-stream",
                                 size=len(u.content),
                                 sha256=hashlib.sha256(u.content).hexdigest(), content=u.content))


def send_form(session: Session, principal: Principal, case_ref: str, letter: str, *,
              fields: dict[str, Any], header: dict[str, Any] | None = None,
              attachments: Iterable[Upload] = (), reply_to: str | None = None,
              purpose: str) -> dict[str, Any]:
    """Check a form, file it on the case and queue it to the case's bureau, in one
    transaction (the form exists exactly when it is on its way). A reply names the
    reference of the form it answers, which is then answered."""
    audit.require(session, principal, OPERATE, action="sirene.send", subject_type=SUBJECT,
                  purpose=purpose, what="send SIRENE forms")
    with session.no_autoflush:  # the case is read by its reference, which no form changes
        case = _load_case(session, case_ref)
    if case.state == m.CLOSED:
        raise ConflictError(f"case {case.reference} is closed; reopen it to send a form")
    uploads = list(attachments)
    _check_uploads(uploads)
    header = dict(header or {})
    header.setdefault("schengen_id", case.schengen_id)
    spec, head, body = check_form(letter, header, fields, len(uploads))
    if spec.categories and case.alert_category not in spec.categories:
        raise ValidationError(f"form {spec.letter} is for alerts of the categories "
                              f"{', '.join(spec.categories)}; this case's alert is "
                              f"{case.alert_category}", field="form")
    answered = None
    if reply_to:
        answered = session.scalar(sa.select(m.Message).where(
            m.Message.case_id == case.id, m.Message.reference == reply_to.strip().upper(),
            m.Message.direction == m.IN))
        if answered is None:
            raise ValidationError(f"case {case.reference} received no form {reply_to!r} to "
                                  "answer", field="reply_to")
    if spec.flags_alert and case.alert_id:
        sis.flag_alert(session, principal, case.alert_id, reason=body["reason"], purpose=purpose)
    return _send(session, principal, case, spec, head, body, uploads, answered, purpose)


def _send(session: Session, principal: Principal, case: m.Case, spec: FormSpec,
          head: dict[str, Any], body: dict[str, Any], uploads: list[Upload],
          answered: m.Message | None, purpose: str) -> dict[str, Any]:
    # The form's rows go to the database with the transaction's next flush (at its commit,
    # or the first query that needs them), not one flush per statement of each form: those
    # cost more than the statements when a transaction sends many forms (a hit run, a busy
    # link). Nothing in _file_and_queue reads what the transaction has not flushed.
    with session.no_autoflush:
        return _file_and_queue(session, principal, case, spec, head, body, uploads, answered,
                               purpose)


def _file_and_queue(session: Session, principal: Principal, case: m.Case, spec: FormSpec,
                    head: dict[str, Any], body: dict[str, Any], uploads: list[Upload],
                    answered: m.Message | None, purpose: str) -> dict[str, Any]:
    settings = get_settings()
    now = clock.now()
    reference = _reference(session, "F")
    urgent = case.urgent or is_urgent(case.alert_category, head)
    head = {**head, "reported_by": head.get("reported_by") or principal.user_id,
            "officer": principal.display_name or principal.username}
    message = m.Message(
        id=new_id(), case_id=case.id, direction=m.OUT, letter=spec.letter, reference=reference,
        sender=settings.bureau_code, recipient=case.counterpart, message_time=now, urgent=urgent,
        header=head, fields=body, reply_to=answered.reference if answered else None,
        due_at=due_time(spec, body, urgent, now), created_by=principal.user_id)
    session.add(message)
    _store_attachments(session, message.id, uploads)
    envelope_body = {  # the reporting officer's user id stays here (the hit's read-only view)
        "form": spec.letter, "reference": reference, "message_time": now.isoformat(),
        "case": case.reference, "header": {k: v for k, v in head.items() if k != "reported_by"},
        "fields": body,
        "reply_to": message.reply_to, "urgent": urgent,
        "attachments": [{"name": u.name, "media_type": u.media_type,
                         "sha256": hashlib.sha256(u.content).hexdigest(),
                         "content": base64.b64encode(u.content).decode("ascii")} for u in uploads],
    }
    out = exchange.send(session, case.counterpart, KIND, case.conversation, envelope_body)
    message.exchange_id = out.id
    if answered is not None:
        answered.answered_at, answered.answered_by = now, reference
    case.state = m.WAITING if message.due_at else m.IN_PROGRESS
    case.urgent = urgent
    case.updated_at = now
    case.search_text = _with_words(case.search_text, _words(spec.letter, body))
    audit.record(session, principal, "sirene.send", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id, *([case.alert_id] if case.alert_id else [])],
                 details={"form": spec.letter, "reference": reference,
                          "recipient": case.counterpart, "reply_to": message.reply_to,
                          "attachments": len(uploads)})
    return message_view(message, delivery="pending")


SEARCH_TEXT_LIMIT = 20000


def _with_words(text: str, more: str) -> str:
    """The case's search text with the words of `more` it lacks: each word once, so a case
    with many forms keeps a short text (searching needs no word twice)."""
    have = set(text.split())
    new = [w for w in dict.fromkeys(more.lower().split()) if w not in have]
    return f"{text} {' '.join(new)}"[:SEARCH_TEXT_LIMIT] if new else text


def _words(letter: str, fields: dict[str, Any]) -> str:
    return " ".join([letter.lower(), *(str(v).lower() for v in fields.values()
                                       if isinstance(v, str | int))])


# --- the hit procedure ----------------------------------------------------------------


def _g_fields(alert: dict[str, Any] | None, report: dict[str, Any]) -> dict[str, Any]:
    context = report["context"]
    data = (alert or {}).get("data") or {}
    docs = data.get("identity_documents") or []
    fields: dict[str, Any] = {
        "surname": data.get("surname"), "forename": data.get("forenames"),
        "date_of_birth": data.get("date_of_birth") if len(str(data.get("date_of_birth") or "")) == 10
        else None,
        "sex": data.get("sex") if data.get("sex") in ("M", "F", "U") else None,
        "nationalities": data.get("nationalities") or None,
        "vin": data.get("vin"), "registration": data.get("plate") or data.get("registration"),
        "document_serial": context.get("document_number")
        or (docs[0].get("number") if docs and isinstance(docs[0], dict) else None),
        "firearm_serial": data.get("serial") if report["category"] == "firearm" else None,
        "hit_time": (context.get("checked_at") or report["reported_at"].isoformat()),
        "hit_place": " ".join(str(context.get(k) or "") for k in ("bcp", "lane")).strip()
        or str(context.get("place") or "not stated by the reporting officer"),
        "circumstances": str(context.get("circumstances") or _circumstances(context))[:8000],
        "action_taken": str(context.get("action_taken")
                            or (alert or {}).get("action_to_be_taken")
                            or "as the alert instructs")[:8000],
    }
    return {k: v for k, v in fields.items() if v not in (None, "", [])}


def _circumstances(context: dict[str, Any]) -> str:
    if context.get("border_check"):
        return (f"Border check {context['border_check']} ({context.get('direction', '')}) at "
                f"{context.get('bcp', '')}, source {context.get('source', '')}, document "
                f"{context.get('document_number', '')} of {context.get('issuing_state', '')}.")
    return "Hit reported by an officer; details: " + json.dumps(
        {k: v for k, v in context.items() if isinstance(v, str | int | float)},
        ensure_ascii=False)[:2000]


def take_hits(session: Session, principal: Principal, *, limit: int = 100) -> dict[str, int]:
    """Take up the new hit reports: a report on another country's alert opens a case and
    sends that country's bureau a form G with the hit's circumstances; one on our own alert
    goes to the issuing authority nationally (no form)."""
    audit.require(session, principal, OPERATE, action="sirene.intake", subject_type=SUBJECT,
                  purpose=INBOX, what="take up hit reports")
    country = get_settings().country
    done = Tally[str]()
    for report in sis.hit_reports_for_sirene(session, limit):
        if report["issuing_country"] == country:
            sis.mark_hit_report(session, report["id"], "national")
            done["national"] += 1
            continue
        purpose = f"SIRENE: hit on alert {report['schengen_id']}, form G to the issuer"
        try:
            alert: dict[str, Any] | None = sis.get_alert(session, principal, report["alert_id"],
                                                         purpose=purpose)
        except NotFoundError:  # deleted since: the report itself still tells the issuer
            alert = None
        bureau = bureau_for(report["issuing_country"])
        case = _new_case(session, counterpart=bureau or report["issuing_country"],
                         schengen_id=report["schengen_id"], alert_id=report["alert_id"],
                         category=report["category"], issuing_country=report["issuing_country"],
                         origin="hit", subject=_subject_of(alert, report["schengen_id"]),
                         urgent=report["category"] in catalogue().immediate_categories,
                         hit_report_id=report["id"])
        audit.record(session, principal, "sirene.open", purpose=purpose, subject_type=SUBJECT,
                     subject_ids=[case.id, report["alert_id"]],
                     details={"reference": case.reference, "hit_report": report["id"]})
        if bureau is None:
            add_note(session, principal, case.id, f"No link to the bureau of "
                     f"{report['issuing_country']} is configured: send the G by the fallback "
                     "channel (1862 Art 8(1)).", purpose=purpose)
            done["no_link"] += 1
        else:
            spec, head, body = check_form("G", {"schengen_id": report["schengen_id"]},
                                          _g_fields(alert, report))
            _send(session, principal, case, spec, {**head, "reported_by": report["reported_by"]},
                  body, [], None, purpose)
            done["sent"] += 1
        sis.mark_hit_report(session, report["id"], "taken")
    return dict(done)


# --- receiving ------------------------------------------------------------------------


def _uploads_of(raw: Any, reference: str) -> list[Upload]:
    if not isinstance(raw, list):
        raise ValidationError(f"form {reference}: attachments must be a list", field="attachments")
    out = []
    for i, item in enumerate(raw):
        try:
            content = base64.b64decode(str(item["content"]), validate=True)
        except (KeyError, TypeError, ValueError):
            raise ValidationError(f"form {reference}: attachment {i + 1} is not base64",
                                  field="attachments") from None
        if hashlib.sha256(content).hexdigest() != item.get("sha256"):
            raise ValidationError(f"form {reference}: attachment {i + 1} does not match its "
                                  "checksum", field="attachments")
        out.append(Upload(str(item.get("name") or f"attachment-{i + 1}"),
                          str(item.get("media_type") or "application/octet-stream"), content))
    return out


_FILED_HERE = "sirene_filed"  # the session's note of the forms it filed, by sender and reference


def _filed_before(session: Session, sender: str, reference: str) -> bool:
    """Whether the sender's form `reference` is on a case: filed by an earlier transaction or
    flushed by this one, or filed by this one and waiting for its flush (noted, and still in
    the session: a rolled-back savepoint takes the forms it filed out of it)."""
    here: dict[tuple[str, str], m.Message] = session.info.get(_FILED_HERE, {})
    filed = here.get((sender, reference))
    if filed is not None and filed in session:
        return True
    return session.connection().execute(_FILED, {"s": sender, "r": reference}).first() is not None


_MESSAGE = cast(sa.Table, m.Message.__table__)
_FILED = sa.select(_MESSAGE.c.id).where(_MESSAGE.c.sender == sa.bindparam("s"),
                                        _MESSAGE.c.reference == sa.bindparam("r"))


_CASE_IDS = "sirene_case_ids"  # the session's note of the case of each conversation


def _case_of(session: Session, sender: str, conversation: str) -> m.Case | None:
    """The case of a conversation with a bureau. The forms of a conversation are handled one
    after the other in one transaction: the case found for the first is taken again from the
    session (a case that a rolled-back savepoint made is gone from it, and is looked for)."""
    noted: dict[tuple[str, str], str] = session.info.setdefault(_CASE_IDS, {})
    case_id = noted.get((sender, conversation))
    case = session.get(m.Case, case_id) if case_id else None
    if case is None or (case.counterpart, case.conversation) != (sender, conversation):
        case = session.scalar(sa.select(m.Case).where(m.Case.counterpart == sender,
                                                      m.Case.conversation == conversation))
    return case


def receive_form(session: Session, envelope: Envelope) -> None:
    """The exchange's handler of `sirene.form`: file the form on its case (opening one for
    the first form of a conversation), set the answer's deadline, and mark answered the form
    of ours that it replies to. A form that fails its checks raises: the exchange keeps it,
    with the reason, for an operator."""
    principal = system_principal(INBOX)
    body = envelope.body
    letter, reference = str(body.get("form") or ""), str(body.get("reference") or "")[:40]
    if not reference:
        raise ValidationError("the form has no reference (field 002)", field="reference")
    uploads = _uploads_of(body.get("attachments") or [], reference)
    _check_uploads(uploads)
    spec, head, fields = check_form(letter, {k: v for k, v in (body.get("header") or {}).items()
                                             if k != "officer"},
                                    body.get("fields") or {}, len(uploads))
    with session.no_autoflush:  # the forms handled before this one stay unflushed
        if _filed_before(session, envelope.sender, reference):
            log.warning("form received twice, kept once", extra={"fields": {
                "sender": envelope.sender, "reference": reference}})
            return
        case = _case_of(session, envelope.sender, envelope.conversation)
    now = clock.now()
    schengen_id = str(head.get("schengen_id") or "")
    if case is None:
        alert = sis.alert_brief(session, schengen_id) if schengen_id else None
        case = _new_case(session, counterpart=envelope.sender, schengen_id=schengen_id,
                         alert_id=alert["alert_id"] if alert else None,
                         category=alert["category"] if alert else "",
                         issuing_country=alert["issuing_country"] if alert else "",
                         origin="received", subject=f"{spec.letter} from {envelope.sender}: "
                         f"{fields.get('surname') or schengen_id}"[:300],
                         urgent=False, conversation=envelope.conversation)
    session.info.setdefault(_CASE_IDS, {})[(envelope.sender, envelope.conversation)] = case.id
    urgent = bool(body.get("urgent")) or is_urgent(case.alert_category, head)
    message = m.Message(
        id=new_id(), case_id=case.id, direction=m.IN, letter=spec.letter, reference=reference,
        sender=envelope.sender, recipient=envelope.recipient,
        message_time=_moment(body.get("message_time"), envelope.created_at), received_at=now,
        urgent=urgent, header={**head, **{k: v for k, v in (body.get("header") or {}).items()
                                          if k == "officer"}},
        fields=fields, reply_to=str(body.get("reply_to") or "")[:40] or None,
        due_at=due_time(spec, fields, urgent, now), exchange_id=envelope.id,
        created_by=principal.user_id)
    session.add(message)
    session.info.setdefault(_FILED_HERE, {})[(envelope.sender, reference)] = message
    _store_attachments(session, message.id, uploads)
    if message.reply_to:
        ours = session.scalar(sa.select(m.Message).where(
            m.Message.case_id == case.id, m.Message.direction == m.OUT,
            m.Message.reference == message.reply_to))
        if ours is not None and ours.answered_at is None:
            ours.answered_at, ours.answered_by = now, reference
    case.urgent = case.urgent or urgent
    if spec.letter == "Q" and case.alert_id and case.issuing_country == get_settings().country:
        _extend_with_victim(session, principal, case, message)
    # a new case stays new until someone works on it; any other (a closed one too) is worked on
    case.state = m.IN_PROGRESS if case.state != m.NEW or message.due_at is None else m.NEW
    case.updated_at = now
    case.search_text = _with_words(case.search_text, _words(spec.letter, fields))
    audit.record(session, principal, "sirene.receive", purpose=INBOX, subject_type=SUBJECT,
                 subject_ids=[case.id, *([case.alert_id] if case.alert_id else [])],
                 details={"form": spec.letter, "reference": reference,
                          "sender": envelope.sender, "reply_to": message.reply_to})


def _extend_with_victim(session: Session, principal: Principal, case: m.Case,
                        message: m.Message) -> None:
    """A form Q on one of our alerts: the victim's data join the alert as its misused-identity
    extension (the other bureau recorded the victim's explicit consent, field Q01); what the
    register refuses is noted on the case for the operator, and the form is still filed."""
    fields = message.fields
    victim = {k: v for k, v in (("surname", fields.get("surname")),
                                ("forenames", fields.get("forename")),
                                ("date_of_birth", fields.get("date_of_birth"))) if v}
    purpose = f"SIRENE: form Q {message.reference} from {message.sender}"
    try:
        with session.begin_nested():
            sis.add_misused_identity(session, principal, case.alert_id or "", victim=victim,
                                     consent_reference=f"form Q {message.reference} of "
                                     f"{message.sender}", consent_given_on=fields["consent_date"],
                                     purpose=purpose)
        text = f"The victim's data of form Q {message.reference} were added to the alert."
    except GranicaError as exc:
        text = (f"The victim's data of form Q {message.reference} could not be added to the "
                f"alert ({exc.message}); add them by hand.")
    session.add(m.Note(id=new_id(), case_id=case.id, text=text, created_by=principal.username,
                       created_at=clock.now()))


def _moment(value: Any, fallback: dt.datetime) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return fallback
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- the duty board -------------------------------------------------------------------


def shifts() -> list[dt.time]:
    out = []
    for part in get_settings().sirene_shifts.split(","):
        try:
            out.append(dt.time.fromisoformat(part.strip()))
        except ValueError:
            raise ValidationError(f"setting sirene_shifts: {part.strip()!r} is not a time "
                                  "(HH:MM)", field="sirene_shifts") from None
    return sorted(out) or [dt.time(0)]


def shift_of(moment: dt.datetime) -> str:
    """The shift (by its local start and end) in which `moment` falls."""
    tz = ZoneInfo(get_settings().local_timezone)
    local = moment.astimezone(tz)
    starts = shifts()
    current = max((s for s in starts if s <= local.time()), default=starts[-1])
    after = starts[(starts.index(current) + 1) % len(starts)]
    day = local.date() if current <= local.time() else local.date() - dt.timedelta(days=1)
    return f"{day.isoformat()} {current.strftime('%H:%M')}-{after.strftime('%H:%M')}"


def _level(x: m.Message, now: dt.datetime) -> str:
    if x.due_at is None:
        return "none"
    if now <= x.due_at:
        return "due"
    escalate = dt.timedelta(minutes=get_settings().sirene_escalate_minutes)
    return "escalated" if x.urgent or now > x.due_at + escalate else "overdue"


def duty_board(session: Session, principal: Principal, *, purpose: str) -> dict[str, Any]:
    """What the bureau owes (forms received that await our answer: due, overdue, escalated,
    each with its shift) and what it waits for (our forms that await the other bureau's)."""
    audit.require(session, principal, OPERATE, action="sirene.duty", subject_type=SUBJECT,
                  purpose=purpose, what="see the SIRENE duty board")
    now = clock.now()
    rows = session.execute(
        sa.select(m.Message, m.Case).join(m.Case, m.Case.id == m.Message.case_id)
        .where(m.Message.due_at.is_not(None), m.Message.answered_at.is_(None),
               m.Case.state != m.CLOSED)
        .order_by(m.Message.due_at)).all()
    board: dict[str, list[dict[str, Any]]] = {"escalated": [], "overdue": [], "due": [],
                                              "waiting": []}
    for x, case in rows:
        item = {**message_view(x), "case_id": case.id, "case_reference": case.reference,
                "subject": case.subject, "shift": shift_of(x.due_at) if x.due_at else "",
                "minutes_left": round(((x.due_at or now) - now).total_seconds() / 60)}
        if x.direction == m.OUT:
            board["waiting"].append(item)
        else:
            board[_level(x, now)].append(item)
    board["tasks"] = [
        {"task_id": t.id, "text": t.text, "due_at": t.due_at.isoformat() if t.due_at else None,
         "assigned_to": t.assigned_to, "case_id": case.id, "case_reference": case.reference,
         "subject": case.subject, "overdue": bool(t.due_at and now > t.due_at),
         "shift": shift_of(t.due_at) if t.due_at else ""}
        for t, case in session.execute(
            sa.select(m.Task, m.Case).join(m.Case, m.Case.id == m.Task.case_id)
            .where(m.Task.done_at.is_(None), m.Case.state != m.CLOSED)
            .order_by(m.Task.due_at.is_(None), m.Task.due_at, m.Task.created_at)).all()]
    cases = {i["case_id"] for v in board.values() for i in v}
    audit.record(session, principal, "sirene.duty", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=sorted(cases), result_count=len(cases))
    return {"now": now.isoformat(), "shift": shift_of(now), **board,
            "counts": {k: len(v) for k, v in board.items()}}


SILENCE_NOTES = {"no_objection": "counted as no objection"}


def lapse_silences(session: Session) -> list[dict[str, Any]]:
    """Forms whose silence counts as an answer (a consultation: no objection) and that were
    not answered by their deadline, in either direction: the silence is recorded as the
    answer, at the deadline, with a note on the case (they leave the duty board)."""
    now = clock.now()
    silent = {letter for letter, spec in catalogue().forms.items() if spec.silence}
    out: list[dict[str, Any]] = []
    cases: set[str] = set()
    if not silent:
        return out
    for x, case in session.execute(
            sa.select(m.Message, m.Case).join(m.Case, m.Case.id == m.Message.case_id)
            .where(m.Message.letter.in_(sorted(silent)), m.Message.due_at.is_not(None),
                   m.Message.answered_at.is_(None), m.Message.due_at < now,
                   m.Case.state != m.CLOSED)).all():
        spec = catalogue().forms[x.letter]
        assert x.due_at is not None  # selected for it
        x.answered_at, x.answered_by = x.due_at, "silence"
        whose = "the other bureau" if x.direction == m.OUT else "this bureau"
        text = (f"{x.letter} {x.reference}: no answer from {whose} by "
                f"{x.due_at.isoformat()}: {SILENCE_NOTES[spec.silence]}")
        session.add(m.Note(id=new_id(), case_id=case.id, text=text, created_by="system",
                           created_at=now))
        case.updated_at = now
        cases.add(case.id)
        out.append({"case": case.reference, "form": x.letter, "reference": x.reference,
                    "direction": x.direction, "silence": spec.silence,
                    "due_at": x.due_at.isoformat()})
    if out:
        audit.record(session, system_principal("SIRENE deadlines"), "sirene.silence",
                     purpose="consultation deadline", subject_type=SUBJECT,
                     subject_ids=sorted(cases), result_count=len(out),
                     details={"messages": [o["reference"] for o in out]})
    return out


def notify_deadlines(session: Session) -> list[dict[str, Any]]:
    """Tell the duty officer of each answer that became overdue or escalated since the last
    look (once per level): on the duty board, and through `sirene_notify_command`. Forms
    whose silence counts as an answer are settled first (`lapse_silences`)."""
    lapse_silences(session)
    now = clock.now()
    notices = []
    for x, case in session.execute(
            sa.select(m.Message, m.Case).join(m.Case, m.Case.id == m.Message.case_id)
            .where(m.Message.direction == m.IN, m.Message.due_at.is_not(None),
                   m.Message.answered_at.is_(None), m.Message.due_at < now,
                   m.Case.state != m.CLOSED)).all():
        level = _level(x, now)
        if x.notified == level or (x.notified == "escalated"):
            continue
        x.notified = level
        notices.append({"level": level, "case": case.reference, "form": x.letter,
                        "reference": x.reference, "sender": x.sender,
                        "due_at": x.due_at.isoformat() if x.due_at else None,
                        "urgent": x.urgent})
    command = get_settings().sirene_notify_command
    if notices and command:
        try:
            subprocess.run(shlex.split(command), input=json.dumps(notices).encode(), timeout=30,
                           check=True, capture_output=True)
        except (OSError, subprocess.SubprocessError) as exc:
            log.error("the SIRENE notify command failed; the duty board still shows the "
                      "notices", extra={"fields": {"command": command, "error": str(exc)}})
    return notices


# --- statistics -----------------------------------------------------------------------


def statistics(session: Session, principal: Principal, *, since: dt.date | None = None,
               until: dt.date | None = None, purpose: str) -> dict[str, Any]:
    """Forms sent and received per form and country, hits taken up, and reply times
    against the deadlines (no personal data: counts only)."""
    audit.require(session, principal, OPERATE, action="sirene.statistics", subject_type=SUBJECT,
                  purpose=purpose, what="see SIRENE statistics")
    query = sa.select(m.Message.direction, m.Message.letter, m.Message.sender,
                      m.Message.recipient, m.Message.message_time, m.Message.received_at,
                      m.Message.due_at, m.Message.answered_at)
    if since:
        query = query.where(m.Message.message_time >= dt.datetime.combine(since, dt.time(),
                                                                          dt.UTC))
    if until:
        query = query.where(m.Message.message_time < dt.datetime.combine(
            until + dt.timedelta(days=1), dt.time(), dt.UTC))
    forms: Tally[tuple[str, str, str]] = Tally()
    replies = {"answered": 0, "within_deadline": 0, "late": 0, "open": 0}
    minutes: list[float] = []
    for row in session.execute(query):
        country = row.recipient if row.direction == m.OUT else row.sender
        forms[(row.direction, row.letter, country)] += 1
        if row.due_at is None or row.direction != m.IN:
            continue
        if row.answered_at is None:
            replies["open"] += 1
            continue
        replies["answered"] += 1
        replies["within_deadline" if row.answered_at <= row.due_at else "late"] += 1
        minutes.append((row.answered_at - (row.received_at or row.message_time)).total_seconds() / 60)
    hits = session.scalar(sa.select(sa.func.count()).select_from(m.Case)
                          .where(m.Case.origin == "hit")) or 0
    minutes.sort()
    audit.record(session, principal, "sirene.statistics", purpose=purpose, subject_type=SUBJECT,
                 query={"since": str(since or ""), "until": str(until or "")})
    return {
        "forms": [{"direction": d, "form": f, "country": c, "count": n}
                  for (d, f, c), n in sorted(forms.items())],
        "hits": int(hits), "replies": replies,
        "reply_minutes_median": minutes[len(minutes) // 2] if minutes else None,
        "reply_minutes_max": minutes[-1] if minutes else None,
    }


def statistics_csv(stats: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["direction", "form", "country", "count"])
    for row in stats["forms"]:
        writer.writerow([row["direction"], row["form"], row["country"], row["count"]])
    return out.getvalue()


# --- for drills and tests: what a node holds ------------------------------------------


def ledger(session: Session, principal: Principal, *, purpose: str) -> list[dict[str, Any]]:
    """Every form's reference, direction, bureaux, case, deadline and answer (no content):
    what `granica sirene drill` compares between nodes."""
    audit.require(session, principal, OPERATE, action="sirene.ledger", subject_type=SUBJECT,
                  purpose=purpose, what="list SIRENE forms")
    rows = session.execute(sa.select(m.Message, m.Case.reference, m.Case.conversation)
                           .join(m.Case, m.Case.id == m.Message.case_id)
                           .order_by(m.Message.message_time)).all()
    audit.record(session, principal, "sirene.ledger", purpose=purpose, subject_type=SUBJECT,
                 result_count=len(rows))
    return [{"reference": x.reference, "direction": x.direction, "form": x.letter,
             "sender": x.sender, "recipient": x.recipient, "case": ref, "conversation": conv,
             "message_time": x.message_time.isoformat(),
             "due_at": x.due_at.isoformat() if x.due_at else None,
             "answered_at": x.answered_at.isoformat() if x.answered_at else None,
             "reply_to": x.reply_to, "exchange_id": x.exchange_id} for x, ref, conv in rows]


def get_attachment(session: Session, principal: Principal, case_ref: str, attachment_id: str, *,
                   purpose: str) -> tuple[str, str, bytes]:
    """An attachment of a case's form: its name, media type and bytes (audited)."""
    audit.require(session, principal, OPERATE, action="sirene.attachment", subject_type=SUBJECT,
                  purpose=purpose, what="read SIRENE attachments")
    case = _load_case(session, case_ref)
    row = session.execute(sa.select(m.Attachment).join(m.Message,
                                                       m.Message.id == m.Attachment.message_id)
                          .where(m.Attachment.id == attachment_id,
                                 m.Message.case_id == case.id)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"case {case.reference} has no attachment '{attachment_id}'",
                            field="attachment_id")
    audit.record(session, principal, "sirene.attachment", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id], details={"attachment": row.id, "name": row.name})
    return row.name, row.media_type, bytes(row.content)


def forms_catalogue() -> list[dict[str, Any]]:
    """The forms and their fields, for the form editor and the API (no personal data)."""
    cat = catalogue()
    return [{"form": f.letter, "title": f.title, "status": f.status,
             "reply_hours": f.reply_hours, "categories": list(f.categories),
             "attachments_required": f.attachments_required,
             "fields": [{"no": x.no, "name": x.name, "label": x.label, "type": x.type,
                         "mandatory": x.mandatory, "choices": list(x.choices)} for x in f.fields]}
            for f in cat.forms.values()]


def erase_expired_cases(session: Session, principal: Principal) -> dict[str, int]:
    """Erase the closed cases whose alert is gone from the register and that were closed
    longer ago than `sirene_case_retention_days` (SR 362.0 Art 45: a case file goes when its
    purpose is met, at the latest a year after the alert's deletion), with their forms,
    attachments and notes; audited with every case it erased."""
    audit.require(session, principal, OPERATE, action="sirene.erase", subject_type=SUBJECT,
                  purpose="SIRENE case retention", what="erase SIRENE cases")
    cutoff = clock.now() - dt.timedelta(days=get_settings().sirene_case_retention_days)
    candidates = session.execute(sa.select(m.Case.id, m.Case.reference, m.Case.schengen_id)
                                 .where(m.Case.state == m.CLOSED, m.Case.closed_at < cutoff)).all()
    gone = [c for c in candidates if not c.schengen_id or sis.alert_brief(session, c.schengen_id)
            is None]
    for start in range(0, len(gone), 500):
        ids = [c.id for c in gone[start:start + 500]]
        messages = sa.select(m.Message.id).where(m.Message.case_id.in_(ids))
        session.execute(sa.delete(m.Attachment).where(m.Attachment.message_id.in_(messages)))
        session.execute(sa.delete(m.Message).where(m.Message.case_id.in_(ids)))
        session.execute(sa.delete(m.Note).where(m.Note.case_id.in_(ids)))
        session.execute(sa.delete(m.Task).where(m.Task.case_id.in_(ids)))
        session.execute(sa.delete(m.Case).where(m.Case.id.in_(ids)))
        audit.record(session, principal, "sirene.erase", purpose="SIRENE case retention",
                     subject_type=SUBJECT, subject_ids=ids, result_count=len(ids),
                     details={"references": [c.reference for c in gone[start:start + 500]]})
    return {"erased": len(gone), "kept_alert_still_held": len(candidates) - len(gone)}


def notify_deleted_alerts(session: Session, principal: Principal) -> dict[str, int]:
    """For each open case on one of this country's alerts that has left the register
    (deleted when its purpose was achieved, or expired), tell the other bureau with an M
    (notice `alert_deleted`) and close the case."""
    audit.require(session, principal, OPERATE, action="sirene.send", subject_type=SUBJECT,
                  purpose=INBOX, what="send SIRENE notices")
    country = get_settings().country
    cases = session.scalars(sa.select(m.Case).where(m.Case.state != m.CLOSED,
                                                    m.Case.issuing_country == country,
                                                    m.Case.schengen_id != "")).all()
    done = Tally[str]()
    for case in cases:
        if sis.alert_brief(session, case.schengen_id) is not None:
            continue
        purpose = f"SIRENE: alert {case.schengen_id} deleted, notice to {case.counterpart}"
        if case.counterpart in peers():
            spec, head, body = check_form("M", {"schengen_id": case.schengen_id}, {
                "notice": "alert_deleted",
                "text": f"The alert {case.schengen_id} has been deleted from the register; "
                        "this case is closed."})
            _send(session, principal, case, spec, head, body, [], None, purpose)
            done["notified"] += 1
        case.state, case.closed_at = m.CLOSED, clock.now()
        done["closed"] += 1
    return dict(done)


def form_for_print(session: Session, principal: Principal, case_ref: str, reference: str, *,
                   purpose: str) -> tuple[str, bytes]:
    """One form of a case as PDF (its file name and bytes; audited as a read of the case)."""
    from granica.sirene.printing import form_pdf

    audit.require(session, principal, OPERATE, action="sirene.read", subject_type=SUBJECT,
                  purpose=purpose, what="read SIRENE cases")
    case = _load_case(session, case_ref)
    view = case_view(session, case)
    message = next((x for x in view["messages"] if x["reference"] == reference.upper()), None)
    if message is None:
        raise NotFoundError(f"case {case.reference} holds no form '{reference}'", field="reference")
    audit.record(session, principal, "sirene.read", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[case.id, *([case.alert_id] if case.alert_id else [])],
                 result_count=1, details={"printed": message["reference"]})
    return f"{message['reference']}.pdf", form_pdf(view, message)


def distribute_alert(session: Session, principal: Principal, alert_ref: str, letter: str, *,
                     fields: dict[str, Any], header: dict[str, Any] | None = None,
                     attachments: Iterable[Upload] = (), purpose: str) -> list[dict[str, Any]]:
    """Send a form on one of this country's alerts to every bureau linked to this one, each
    on its own case (opened here when there is none): form A with the arrest warrant when an
    arrest alert is entered, an M to all when there is news for all."""
    audit.require(session, principal, OPERATE, action="sirene.send", subject_type=SUBJECT,
                  purpose=purpose, what="send SIRENE forms")
    alert = sis.get_alert(session, principal, alert_ref, purpose=purpose)
    if alert["issuing_country"] != get_settings().country:
        raise ValidationError(f"alert {alert['schengen_id']} is {alert['issuing_country']}'s: only "
                              "the issuing bureau sends its forms to all", field="alert")
    uploads = list(attachments)
    _check_uploads(uploads)
    spec, head, body = check_form(letter, {"schengen_id": alert["schengen_id"], **(header or {})},
                                  fields, len(uploads))
    if spec.categories and alert["category"] not in spec.categories:
        raise ValidationError(f"form {spec.letter} is for alerts of the categories "
                              f"{', '.join(spec.categories)}; this alert is {alert['category']}",
                              field="form")
    bureaux = sorted(peers())
    if not bureaux:
        raise ValidationError("no other bureau is configured (see peers.toml)", field="alert")
    open_cases = {c.counterpart: c for c in session.scalars(sa.select(m.Case).where(
        m.Case.alert_id == alert["alert_id"], m.Case.origin == "alert",
        m.Case.state != m.CLOSED))}
    sent = []
    for code in bureaux:
        case = open_cases.get(code) or _new_case(
            session, counterpart=code, schengen_id=alert["schengen_id"],
            alert_id=alert["alert_id"], category=alert["category"],
            issuing_country=alert["issuing_country"], origin="alert",
            subject=_subject_of(alert, alert["schengen_id"]),
            urgent=alert["category"] in catalogue().immediate_categories)
        sent.append(_send(session, principal, case, spec, head, body, uploads, None, purpose))
    return sent
