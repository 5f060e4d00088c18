"""The SIRENE workbench: the duty board, the cases (inbox and search), a case with its forms
and the form editor, the statistics as a chart, and the read-only view of a hit's case for
the officer who reported it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import UploadFile

from granica.api.deps import CSRFProtected, DbSession, PagePrincipal, StatedPurpose
from granica.errors import GranicaError, NotFoundError, ValidationError
from granica.settings import get_settings
from granica.sirene import models as m
from granica.sirene import service
from granica.sirene.forms import catalogue
from granica.web import gettext, localtime, page_language, render
from granica.web.charts import bar_chart
from granica.web.nav import NavItem

router = APIRouter(prefix="/sirene", include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"

NAV_ITEMS = (
    NavItem("SIRENE duty board", "/sirene", "Answers due, overdue and escalated in this shift, "
            "and forms waiting for another bureau.", permission=service.OPERATE, order=30),
    NavItem("SIRENE cases", "/sirene/cases", "The bureau's cases: search them, read their "
            "forms, answer.", permission=service.OPERATE, order=31),
    NavItem("SIRENE statistics", "/sirene/statistics", "Forms per form and country, hits and "
            "reply times against the deadlines.", permission=service.OPERATE, order=32),
)
STATE_LABELS = {m.NEW: "new", m.IN_PROGRESS: "in progress", m.WAITING: "waiting for the other bureau",
                m.CLOSED: "closed"}
LEVEL_LABELS = {"escalated": "Escalated", "overdue": "Overdue", "due": "Due",
                "waiting": "Waiting for the other bureau"}
MAX_FILES = 20


STATIC_FILES = {"sirene.css": "text/css", "duty.js": "text/javascript"}


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' stylesheet and the duty board's script (the pages' CSP allows no inline
    styles or scripts)."""
    if name not in STATIC_FILES:
        raise NotFoundError(f"no SIRENE static file '{name}'")
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name],
                        headers={"Cache-Control": "no-cache"})


def local(value: str | None) -> str:
    """A stored UTC instant (ISO text) in the node's local time."""
    if not value:
        return "—"
    return localtime(dt.datetime.fromisoformat(value))


def _common() -> dict[str, Any]:
    return {"local": local, "states": STATE_LABELS, "levels": LEVEL_LABELS}


@router.get("", response_class=HTMLResponse)
def duty(request: Request, session: DbSession, principal: PagePrincipal,
         purpose: StatedPurpose) -> Response:
    board = service.duty_board(session, principal, purpose=purpose)
    return render(request, "sirene/duty.html", {
        **_common(), "board": board,
        "refresh_seconds": int(get_settings().sirene_duty_refresh_seconds)})


@router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, session: DbSession, principal: PagePrincipal,
          purpose: StatedPurpose, text: str = "", state: str = "") -> Response:
    error = None
    try:
        found = service.list_cases(session, principal, text=text[:200], state=state,
                                   purpose=purpose)
    except GranicaError as exc:
        session.rollback()
        found, error = [], exc.message
    return render(request, "sirene/cases.html", {**_common(), "cases": found, "text": text,
                                                 "state": state, "error": error})


def _case_context(session: Any, principal: Any, ref: str, purpose: str, letter: str,
                  values: dict[str, Any], error: str | None, error_field: str | None
                  ) -> dict[str, Any]:
    view = service.get_case(session, principal, ref, purpose=purpose)
    cat = catalogue()
    spec = cat.forms.get(letter.upper()) if letter else None
    open_requests = [x for x in view["messages"] if x["direction"] == m.IN and x["due_at"]
                     and not x["answered_at"]]
    return {**_common(), "case": view, "forms": cat.forms, "spec": spec,
            "header_fields": [h for h in cat.header if not h.automatic and h.name != "schengen_id"],
            "values": values, "error": error, "error_field": error_field,
            "open_requests": open_requests, "max_attachments": cat.max_attachments,
            "max_mb": cat.max_attachment_bytes // (1024 * 1024)}


@router.get("/cases/{case_ref}", response_class=HTMLResponse)
def case(case_ref: str, request: Request, session: DbSession, principal: PagePrincipal,
         purpose: StatedPurpose, form: str = "", reply_to: str = "") -> Response:
    ctx = _case_context(session, principal, case_ref, purpose, form[:1],
                        {"reply_to": reply_to}, None, None)
    if ctx["spec"] is None and form:
        ctx["error"] = gettext(page_language(request), "There is no such form; choose one "
                               "from the list.")
    ctx["sent"] = request.query_params.get("sent", "")[:40]
    return render(request, "sirene/case.html", ctx)


@router.post("/cases/{case_ref}/send", response_class=HTMLResponse,
             dependencies=[CSRFProtected])
async def send(case_ref: str, request: Request, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    form = await request.form(max_files=MAX_FILES)
    letter = str(form.get("form") or "")[:1]
    values = {k: form.get(k) for k in form if k != "attachments"}
    fields = {k[2:]: str(v) for k, v in form.items() if k.startswith("f_") and str(v).strip()}
    header = {k[2:]: str(v) for k, v in form.items() if k.startswith("h_") and str(v).strip()}
    uploads = []
    for item in form.getlist("attachments"):
        if isinstance(item, UploadFile) and item.filename:
            uploads.append(service.Upload(item.filename, item.content_type or
                                          "application/octet-stream", await item.read()))
    try:
        sent = service.send_form(session, principal, case_ref, letter, fields=fields,
                                 header=header, attachments=uploads,
                                 reply_to=str(form.get("reply_to") or "") or None, purpose=purpose)
    except GranicaError as exc:
        session.rollback()
        ctx = _case_context(session, principal, case_ref, purpose, letter, values, exc.message,
                            exc.field)
        return render(request, "sirene/case.html", ctx, status_code=exc.http_status)
    return RedirectResponse(f"/sirene/cases/{case_ref}?sent={sent['reference']}", status_code=303)


@router.post("/cases/{case_ref}/note", dependencies=[CSRFProtected])
async def note(case_ref: str, request: Request, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    form = await request.form()
    service.add_note(session, principal, case_ref, str(form.get("text") or ""), purpose=purpose)
    return RedirectResponse(f"/sirene/cases/{case_ref}#notes", status_code=303)


@router.post("/cases/{case_ref}/task", response_class=HTMLResponse,
             dependencies=[CSRFProtected])
async def task(case_ref: str, request: Request, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    form = await request.form()
    raw = str(form.get("due_at") or "").strip()
    try:
        due = None
        if raw:
            try:
                due = dt.datetime.fromisoformat(raw)
            except ValueError:
                raise ValidationError(f"the deadline '{raw[:40]}' is not a date and time; use "
                                      "the picker or write 2026-12-07T14:30",
                                      field="due_at") from None
            if due.tzinfo is None:  # the page shows and takes local time
                due = due.replace(tzinfo=ZoneInfo(get_settings().local_timezone))
        service.add_task(session, principal, case_ref, str(form.get("text") or ""), due_at=due,
                         assign_to=str(form.get("assign_to") or "") or None, purpose=purpose)
    except GranicaError as exc:
        session.rollback()
        ctx = _case_context(session, principal, case_ref, purpose, "", {}, exc.message, exc.field)
        ctx["task_values"] = {k: form.get(k) for k in ("text", "due_at", "assign_to")}
        return render(request, "sirene/case.html", ctx, status_code=exc.http_status)
    return RedirectResponse(f"/sirene/cases/{case_ref}#tasks", status_code=303)


@router.post("/cases/{case_ref}/tasks/{task_id}/done", dependencies=[CSRFProtected])
def task_done(case_ref: str, task_id: str, session: DbSession, principal: PagePrincipal,
              purpose: StatedPurpose) -> Response:
    service.complete_task(session, principal, case_ref, task_id, purpose=purpose)
    return RedirectResponse(f"/sirene/cases/{case_ref}#tasks", status_code=303)


@router.post("/cases/{case_ref}/state", dependencies=[CSRFProtected])
async def state(case_ref: str, request: Request, session: DbSession, principal: PagePrincipal,
                purpose: StatedPurpose) -> Response:
    form = await request.form()
    service.set_state(session, principal, case_ref, str(form.get("state") or ""), purpose=purpose,
                      assign_to=principal.username if form.get("take") else None)
    return RedirectResponse(f"/sirene/cases/{case_ref}", status_code=303)


@router.get("/cases/{case_ref}/attachments/{attachment_id}")
def attachment(case_ref: str, attachment_id: str, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    name, media_type, content = service.get_attachment(session, principal, case_ref,
                                                       attachment_id, purpose=purpose)
    safe = "".join(c for c in name if c.isalnum() or c in "._-") or "attachment"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@router.get("/cases/{case_ref}/forms/{reference}/pdf")
def form_pdf(case_ref: str, reference: str, session: DbSession, principal: PagePrincipal,
             purpose: StatedPurpose) -> Response:
    name, content = service.form_for_print(session, principal, case_ref, reference,
                                           purpose=purpose)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/statistics", response_class=HTMLResponse)
def statistics(request: Request, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    stats = service.statistics(session, principal, purpose=purpose)
    language = page_language(request)
    letters = sorted({r["form"] for r in stats["forms"]})
    series: dict[str, Sequence[float]] = {gettext(language, direction): [float(sum(r["count"] for r in stats["forms"]
                                                       if r["form"] == f and r["direction"] == d))
                                             for f in letters]
              for d, direction in ((m.OUT, "sent"), (m.IN, "received"))}
    chart = Markup(bar_chart(gettext(language, "Forms sent and received, by form"),
                             letters, series))
    return render(request, "sirene/statistics.html", {**_common(), "stats": stats,
                                                      "chart": chart})


@router.get("/hits/{hit_report_id}", response_class=HTMLResponse)
def hit(hit_report_id: str, request: Request, session: DbSession, principal: PagePrincipal,
        purpose: StatedPurpose) -> Response:
    view = service.case_for_hit(session, principal, hit_report_id, purpose=purpose)
    return render(request, "sirene/hit.html", {**_common(), "case": view})
