"""JSON API of the SIRENE Bureau (mounted under /api/v1): cases, forms sent with their
attachments, the duty board, statistics, and the read-only view of a hit's case for the
officer who reported it. Thin routers: the service checks permissions and audits."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.api.responses import errors
from granica.clock import IsoDate, IsoDateTime
from granica.errors import ValidationError
from granica.sirene import service

router = APIRouter(prefix="/sirene", tags=["SIRENE Bureau"])

State = Literal["new", "in_progress", "waiting", "closed"]


class CaseIn(BaseModel):
    alert: str = Field(min_length=1, max_length=40, description="alert id or Schengen identifier")
    counterpart: str = Field(min_length=2, max_length=16, description="the other bureau (HU)")


class AttachmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    media_type: str = Field("application/octet-stream", max_length=100)
    content_base64: str = Field(description="the file, base64")


class FormIn(BaseModel):
    form: str = Field(min_length=1, max_length=1, description="the form's letter: G, M, L, ...")
    fields: dict[str, Any] = Field(default_factory=dict, description="the form's fields by name "
                                   "(see GET /sirene/forms)")
    header: dict[str, Any] = Field(default_factory=dict, description="header fields: "
                                   "offence_category, important (URGENT), urgent_reason, ...")
    reply_to: str | None = Field(None, max_length=40, description="the reference of the form "
                                 "this answers")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class DistributeIn(BaseModel):
    form: str = Field("A", min_length=1, max_length=1, description="the form's letter")
    fields: dict[str, Any] = Field(default_factory=dict)
    header: dict[str, Any] = Field(default_factory=dict)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class TaskIn(BaseModel):
    text: str = Field(min_length=1, max_length=1000)
    due_at: IsoDateTime | None = Field(None, description="deadline, with its offset or Z")
    assign_to: str | None = Field(None, max_length=64, description="the officer's user name")


class StateIn(BaseModel):
    state: State
    assign_to: str | None = Field(None, max_length=64)


def _uploads(items: list[AttachmentIn]) -> list[service.Upload]:
    out = []
    for i, a in enumerate(items, start=1):
        try:
            content = base64.b64decode(a.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(f"attachment {i} ({a.name}): content_base64 is not base64",
                                  field="attachments") from None
        out.append(service.Upload(a.name, a.media_type, content))
    return out


@router.get("/forms", responses=errors())
def forms(principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """The form catalogue: each form's letter, title, fields, deadline and whether its layout
    is confirmed (`verified`) or kept in configuration until the recast manual is at hand."""
    return service.forms_catalogue()


@router.get("/cases", responses=errors(422))
def cases(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
          text: str = Query("", max_length=200, description="words that must all occur"),
          state: State | None = None, limit: int = Query(100, ge=1, le=500)
          ) -> list[dict[str, Any]]:
    """Cases, most recently changed first; full-text search over references, Schengen ids,
    subjects and the forms' text."""
    return service.list_cases(session, principal, text=text, state=state or "", limit=limit,
                              purpose=purpose)


@router.post("/cases", status_code=201, responses=errors(404, 422))
def open_case(body: CaseIn, session: DbSession, principal: CurrentPrincipal,
              purpose: StatedPurpose) -> dict[str, Any]:
    """Open a case on an alert with another bureau (for a form A, a request of ours)."""
    return service.open_case(session, principal, alert_ref=body.alert,
                             counterpart=body.counterpart, purpose=purpose)


@router.post("/alerts/{alert}/forms", status_code=201, responses=errors(404, 413, 422))
def distribute(alert: str, body: DistributeIn, session: DbSession, principal: CurrentPrincipal,
               purpose: StatedPurpose) -> list[dict[str, Any]]:
    """Send a form on one of this country's alerts to every linked bureau, each on its own
    case: form A with the scanned arrest warrant (PDF, at least 150 DPI) for an arrest alert.

    Example: `POST /api/v1/sirene/alerts/RS0100000000004201/forms` with `{"form": "A",
    "fields": {"surname": "Petrović", "facts": "..."}, "attachments": [{"name": "eaw.pdf",
    "media_type": "application/pdf", "content_base64": "..."}]}`
    """
    return service.distribute_alert(session, principal, alert, body.form, fields=body.fields,
                                    header=body.header, attachments=_uploads(body.attachments),
                                    purpose=purpose)


@router.get("/cases/{case_id}", responses=errors(404))
def case(case_id: str, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """One case (by id or reference) with every form in and out, their delivery and
    deadlines, and the notes (audited)."""
    return service.get_case(session, principal, case_id, purpose=purpose)


@router.post("/cases/{case_id}/forms", status_code=201, responses=errors(404, 409, 413, 422))
def send(case_id: str, body: FormIn, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """Send a form on the case to its bureau (up to 5 attachments, 10 MB in all).

    Example: `POST /api/v1/sirene/cases/RS-C-2026-000001/forms` with `{"form": "M",
    "fields": {"text": "Arrest confirmed"}, "reply_to": "HU-F-2026-000012"}`
    """
    return service.send_form(session, principal, case_id, body.form, fields=body.fields,
                             header=body.header, attachments=_uploads(body.attachments),
                             reply_to=body.reply_to, purpose=purpose)


@router.post("/cases/{case_id}/notes", status_code=201, responses=errors(404, 422))
def note(case_id: str, body: NoteIn, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    return service.add_note(session, principal, case_id, body.text, purpose=purpose)


@router.post("/cases/{case_id}/tasks", status_code=201, responses=errors(404, 422))
def task(case_id: str, body: TaskIn, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """A task on the case with its deadline (on the duty board) and its officer."""
    return service.add_task(session, principal, case_id, body.text, due_at=body.due_at,
                            assign_to=body.assign_to, purpose=purpose)


@router.post("/cases/{case_id}/tasks/{task_id}/done", responses=errors(404))
def task_done(case_id: str, task_id: str, session: DbSession, principal: CurrentPrincipal,
              purpose: StatedPurpose) -> dict[str, Any]:
    return service.complete_task(session, principal, case_id, task_id, purpose=purpose)


@router.post("/cases/{case_id}/state", responses=errors(404, 422))
def state(case_id: str, body: StateIn, session: DbSession, principal: CurrentPrincipal,
          purpose: StatedPurpose) -> dict[str, Any]:
    """Take, close or reopen a case."""
    return service.set_state(session, principal, case_id, body.state, purpose=purpose,
                             assign_to=body.assign_to)


@router.get("/cases/{case_id}/attachments/{attachment_id}", response_class=Response,
            responses={**errors(404), 200: {"content": {"application/octet-stream": {}},
                                            "description": "the attachment's bytes"}})
def attachment(case_id: str, attachment_id: str, session: DbSession,
               principal: CurrentPrincipal, purpose: StatedPurpose) -> Response:
    name, media_type, content = service.get_attachment(session, principal, case_id,
                                                       attachment_id, purpose=purpose)
    safe = "".join(c for c in name if c.isalnum() or c in "._-") or "attachment"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@router.get("/cases/{case_id}/forms/{reference}/pdf", response_class=Response,
            responses={**errors(404), 200: {"content": {"application/pdf": {}},
                                            "description": "the form, printable"}})
def form_pdf(case_id: str, reference: str, session: DbSession, principal: CurrentPrincipal,
             purpose: StatedPurpose) -> Response:
    """One form of the case as PDF, for reading and for the paper file."""
    name, content = service.form_for_print(session, principal, case_id, reference,
                                           purpose=purpose)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/duty", responses=errors())
def duty(session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """The duty board: answers escalated, overdue and due (with their shift), and our forms
    waiting for the other bureau's answer."""
    return service.duty_board(session, principal, purpose=purpose)


@router.post("/intake", responses=errors())
def intake(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
    """Take up the new hit reports now (the scheduler does it within seconds of a hit)."""
    return service.take_hits(session, principal)


@router.get("/statistics", responses=errors(422))
def statistics(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
               since: IsoDate | None = None, until: IsoDate | None = None) -> dict[str, Any]:
    """Forms sent and received per form and country, hits, and reply times against the
    deadlines."""
    return service.statistics(session, principal, since=since, until=until, purpose=purpose)


@router.get("/statistics.csv", response_class=Response, responses={
    **errors(422), 200: {"content": {"text/csv": {}}, "description": "forms per form and country"}})
def statistics_csv(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                   since: IsoDate | None = None, until: IsoDate | None = None) -> Response:
    stats = service.statistics(session, principal, since=since, until=until, purpose=purpose)
    return Response(service.statistics_csv(stats), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="sirene-forms.csv"'})


@router.get("/hits/{hit_report_id}", responses=errors(404))
def hit_case(hit_report_id: str, session: DbSession, principal: CurrentPrincipal,
             purpose: StatedPurpose) -> dict[str, Any]:
    """The case a hit report became, read-only, for the officer who reported it (the forms'
    letters, times and delivery; their content only for the bureau)."""
    return service.case_for_hit(session, principal, hit_report_id, purpose=purpose)


@router.get("/ledger", responses=errors())
def ledger(session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> list[dict[str, Any]]:
    """Every form in and out by reference, bureaux, case, deadline and answer, without
    content: what a link drill compares between bureaux."""
    return service.ledger(session, principal, purpose=purpose)
