"""The national fingerprint database's pages: the enrolment form (ten fingers, each an image
or the reason it is missing; the quality gate's retake list; the candidates), a search's
result, the fingerprint expert's queue, the side-by-side comparison with the minutiae drawn
over both prints and the decision form, the subject by reference, and the statistics."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from granica.api.deps import CSRFProtected, DbSession, PagePrincipal, StatedPurpose
from granica.asylum import pages_training, service
from granica.asylum import statistics as asylum_statistics
from granica.asylum.api import finger_png
from granica.asylum.categories import rules
from granica.asylum.models import FLAT, Search, Subject
from granica.auth.principal import Principal
from granica.errors import GranicaError, NotFoundError, ValidationError
from granica.web import gettext, localtime, page_language, render
from granica.web.charts import bar_chart
from granica.web.nav import NavItem

router = APIRouter(prefix="/asylum", include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"asylum.css": "text/css", "asylum.js": "text/javascript"}

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("Fingerprint enrolment", "/asylum/enrol", "Enrol an applicant or an irregular "
            "migrant: ten fingers, the quality check and the search.",
            permission=service.ENROL, order=40),
    NavItem("Fingerprint expert queue", "/asylum/queue", "Candidates waiting for a "
            "fingerprint expert's side-by-side comparison.", permission=service.VERIFY,
            order=41),
    NavItem("Fingerprint search", "/asylum/search", "Search the fingerprint database for a "
            "documented purpose and case.", permission=service.SEARCH, order=42),
    NavItem("Data subjects", "/asylum/subjects", "Find a data subject by national reference "
            "number.", permission=service.ENROL, order=43),
    NavItem("Fingerprint statistics", "/asylum/statistics", "Enrolments, searches and hits "
            "per category and month.", permission=service.ENROL, order=44),
)
FINGERS = service.FINGER_NAMES
STATES = {"pending": "waiting for an expert", "disputed": "for a second expert",
          "confirmed": "confirmed: a hit", "rejected": "rejected", "inconclusive": "inconclusive",
          "active": "active", "blocked": "blocked", "erased": "erased"}
DECISION_LABELS = {"confirmed": "Confirmed: the same finger", "rejected": "Rejected: not the "
                   "same finger", "inconclusive": "Inconclusive: a second expert decides"}
ANSWERS = {"hit": "hit: the person is known", "no_hit": "no hit",
           "rejected": "rejected by the central system"}
MAX_FILES = 20
MORE_ROUTERS = (pages_training.router,)
NAV_ITEMS += pages_training.NAV_ITEMS


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' stylesheet and the comparison's zoom (the CSP allows no inline code)."""
    if name not in STATIC_FILES:
        raise NotFoundError(f"no fingerprint-database static file '{name}'")
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name],
                        headers={"Cache-Control": "no-cache"})


def local(value: str | dt.datetime | None) -> str:
    """A stored UTC instant (or its ISO text) in the node's local time."""
    if not value:
        return "—"
    return localtime(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)


def common() -> dict[str, Any]:
    book = rules()
    return {"local": local, "fingers": FINGERS, "states": STATES, "book": book,
            "decision_labels": DECISION_LABELS, "answers": ANSWERS}


# --- enrolment ---------------------------------------------------------------------------


def _enrol_page(request: Request, values: dict[str, Any], status_code: int = 200,
                error: GranicaError | None = None) -> Response:
    retake = error.details.get("retake", []) if error is not None else []
    missing = error.details.get("missing", []) if error is not None else []
    return render(request, "asylum/enrol.html", {
        **common(), "values": values, "error": error.message if error else None,
        "error_field": error.field if error else None, "retake": retake,
        "retake_positions": {r["position"] for r in retake}, "missing_positions": set(missing),
        "key": values.get("enrolment_key") or uuid.uuid4().hex}, status_code=status_code)


@router.get("/enrol", response_class=HTMLResponse)
def enrol_form(request: Request, principal: PagePrincipal) -> Response:
    return _enrol_page(request, {"category": "applicant", "sex": "X"})


async def _prints(form: FormData, impression: str = FLAT) -> list[service.PrintIn]:
    """Each finger's file (`finger_N`) or its missing reason (`missing_N`); a finger with
    neither is left out, for the service to name."""
    out = []
    for pos in service.POSITIONS:
        item = form.get(f"finger_{pos}")
        reason = str(form.get(f"missing_{pos}") or "")
        image = await item.read() if isinstance(item, UploadFile) and item.filename else None
        if image is not None or reason:
            out.append(service.PrintIn(position=pos, image=image, impression=impression,
                                       missing_reason=None if image is not None else reason))
    return out


def _date(text: str, name: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{name} '{text[:40]}' is not a date: use the picker or write "
                              "1990-01-31", field=name) from None


@router.post("/enrol", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def enrol(request: Request, session: DbSession, principal: PagePrincipal,
                purpose: StatedPurpose) -> Response:
    form = await request.form(max_files=MAX_FILES)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        data = service.EnrolmentIn(
            category=values.get("category", ""), prints=await _prints(form),
            surname=values.get("surname", "")[:200],
            given_names=values.get("given_names", "")[:200],
            nationalities=[n.strip() for n in values.get("nationalities", "").split(",")
                           if n.strip()][:10],
            date_of_birth=_date(values.get("date_of_birth", ""), "date_of_birth"),
            age_uncertain=bool(values.get("age_uncertain")),
            place_of_birth=values.get("place_of_birth", "")[:200],
            sex=values.get("sex", "X"),
            registration_place=values.get("registration_place", "")[:200],
            enrolment_key=values.get("enrolment_key") or None)
        outcome = service.enrol(session, principal, data, purpose)
    except GranicaError as exc:
        session.rollback()
        return _enrol_page(request, values, exc.http_status, exc)
    return RedirectResponse(f"/asylum/searches/{outcome.search.id}?enrolled=1", status_code=303)


@router.get("/searches/{search_id}", response_class=HTMLResponse)
def search_result(search_id: str, request: Request, session: DbSession,
                  principal: PagePrincipal) -> Response:
    """A search's result: the candidates with their state; a hit only once confirmed."""
    view = service.hits(session, principal, search_id)
    search = service_search(session, search_id)
    return render(request, "asylum/search_result.html", {
        **common(), "candidates": view, "search": search,
        "hits": [c for c in view if c["hit"]],
        "enrolled": request.query_params.get("enrolled") == "1"})


def service_search(session: Session, search_id: str) -> dict[str, Any]:
    """What the result page says about the search itself (read after `service.hits`,
    which checked the permission and audited)."""
    s = session.get(Search, search_id)
    assert s is not None  # service.hits raised NotFound otherwise
    subject = session.get(Subject, s.subject_id) if s.subject_id else None
    return {"id": s.id, "kind": s.kind, "category": s.category, "requested_at": s.requested_at,
            "requested_by": s.requested_by, "case_reference": s.case_reference,
            "purpose": s.purpose, "fingers": s.fingers,
            "reference": subject.reference if subject else None,
            "transmission_due": subject.transmission_due if subject else None}


# --- police search ---------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search_form(request: Request, principal: PagePrincipal) -> Response:
    return render(request, "asylum/search.html", {**common(), "values": {}, "error": None})


@router.post("/search", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def search(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    form = await request.form(max_files=MAX_FILES)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        prints = [p for p in await _prints(form) if p.image is not None]
        outcome = service.search(session, principal, prints,
                                 purpose=values.get("purpose", "")[:300],
                                 case_reference=values.get("case_reference", "")[:80])
    except GranicaError as exc:
        session.rollback()
        return render(request, "asylum/search.html", {
            **common(), "values": values, "error": exc.message, "error_field": exc.field},
            status_code=exc.http_status)
    return RedirectResponse(f"/asylum/searches/{outcome.search.id}", status_code=303)


# --- the expert ------------------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    return render(request, "asylum/queue.html", {
        **common(), "queue": service.queue(session, principal),
        "decided": request.query_params.get("decided", "")[:12]})


def _compare_context(session: Session, principal: Principal, candidate_id: str
                     ) -> dict[str, Any]:
    view = service.comparison(session, principal, candidate_id)
    for f in view["fingers"]:
        paired_probe = {a for a, _ in f["pairs"]}
        paired_cand = {b for _, b in f["pairs"]}
        f["probe"]["paired"] = paired_probe
        f["candidate"]["paired"] = paired_cand
        f["pair_number"] = {"probe": {a: n for n, (a, _) in enumerate(f["pairs"], 1)},
                            "candidate": {b: n for n, (_, b) in enumerate(f["pairs"], 1)}}
    return {**common(), "view": view, "arrow": _arrow}


def _arrow(m: Sequence[float], length: float = 14.0) -> tuple[float, float]:
    """The end of a minutia's direction mark (angle in radians, image y downwards)."""
    import math

    return (round(m[0] + length * math.cos(m[2]), 1), round(m[1] - length * math.sin(m[2]), 1))


@router.get("/candidates/{candidate_id}", response_class=HTMLResponse)
def compare(candidate_id: str, request: Request, session: DbSession,
            principal: PagePrincipal) -> Response:
    ctx = _compare_context(session, principal, candidate_id)
    return render(request, "asylum/compare.html", {**ctx, "error": None})


@router.post("/candidates/{candidate_id}/decision", response_class=HTMLResponse,
             dependencies=[CSRFProtected])
async def decide(candidate_id: str, request: Request, session: DbSession,
                 principal: PagePrincipal) -> Response:
    form = await request.form()
    try:
        c = service.decide(session, principal, candidate_id, str(form.get("decision") or ""),
                           str(form.get("reason") or ""))
    except GranicaError as exc:
        session.rollback()
        ctx = _compare_context(session, principal, candidate_id)
        return render(request, "asylum/compare.html", {
            **ctx, "error": exc.message, "error_field": exc.field,
            "reason": str(form.get("reason") or "")[:1000]}, status_code=exc.http_status)
    return RedirectResponse(f"/asylum/queue?decided={c.state}", status_code=303)


@router.get("/fingers/{finger_id}.png")
def finger(finger_id: str, session: DbSession, principal: PagePrincipal) -> Response:
    """A stored print as PNG (500 ppi, the frame of the minutiae overlay); audited."""
    png = finger_png(service.finger_image(session, principal, finger_id))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


# --- subjects ----------------------------------------------------------------------------


@router.get("/subjects", response_class=HTMLResponse)
def subjects(request: Request, session: DbSession, principal: PagePrincipal,
             reference: str = "") -> Response:
    reference = reference.strip().upper()[:40]
    view, error = None, None
    if reference:
        try:
            view = service.subject_view(session, principal, reference)
        except GranicaError as exc:
            session.rollback()
            error = exc.message
    elif not principal.can(service.ENROL):  # the form alone: still only for those who may
        service.subject_view(session, principal, "")
    return render(request, "asylum/subject.html", {**common(), "reference": reference,
                                                   "subject": view, "error": error},
                  status_code=404 if error else 200)


# --- statistics --------------------------------------------------------------------------


@router.get("/statistics", response_class=HTMLResponse)
def statistics(request: Request, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    result = asylum_statistics.statistics(session, principal, purpose=purpose)
    language = page_language(request)
    months = sorted({r["month"] for r in result["rows"]})
    series: dict[str, Sequence[float]] = {
        gettext(language, label): [float(sum(r[key] for r in result["rows"] if r["month"] == mo))
                                   for mo in months]
        for key, label in (("enrolments", "enrolments"), ("searches", "searches"),
                           ("hits", "hits"))}
    chart = Markup(bar_chart(gettext(language, "Enrolments, searches and hits per month"),
                             months, series))
    return render(request, "asylum/statistics.html", {**common(), "stats": result,
                                                      "chart": chart})
