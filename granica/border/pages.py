"""The guard's lane screen (MRZ reader as keyboard), the shift supervisor's queue and the refusal form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from granica.api.deps import CSRFProtected, DbSession, PagePrincipal, StatedPurpose
from granica.border import service
from granica.border.schemas import CheckRequest, RefusalRequest, TypedDocument
from granica.errors import AuthenticationError, GranicaError, NotFoundError, PermissionDenied
from granica.web import gettext, page_language, render
from granica.web.nav import NavItem

STATIC = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {"border.css": "text/css", "lane.js": "text/javascript"}

router = APIRouter(prefix="/border", include_in_schema=False)

NAV_ITEMS = (
    NavItem("Border lane", "/border/lane", "Check travellers at a lane: read the MRZ, get go, "
            "refer or hit.", permission="border.check", order=20),
    NavItem("Shift queue", "/border/queue", "Referred checks, hits and re-checks of the shift.",
            permission="border.supervise", order=21),
)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The lane screen's script and styles (the pages' CSP allows no inline code)."""
    if name not in _STATIC_TYPES:
        raise NotFoundError(f"no border static file '{name}'")
    return FileResponse(STATIC / name, media_type=_STATIC_TYPES[name],
                        headers={"Cache-Control": "no-cache"})


def _lane_context(session: Any, bcp: str, lane: str, direction: str) -> dict[str, Any]:
    points = service.list_crossing_points(session)
    if not bcp and points:
        bcp = points[0][0].code
    return {"points": points, "bcp": bcp, "lane": lane, "direction": direction or "entry",
            "result": None, "error": None, "typed": {},
            "reason_bases": service.MESSAGES}  # a reason's text is its base (translated) + detail


@router.get("/lane", response_class=HTMLResponse)
def lane(request: Request, session: DbSession, principal: PagePrincipal, bcp: str = "",
         lane: str = "", direction: str = "entry") -> Response:
    ctx = _lane_context(session, bcp or (principal.station or ""), lane, direction)
    return render(request, "border/lane.html", ctx)


@router.post("/lane", response_class=HTMLResponse, dependencies=[CSRFProtected])
def lane_check(
    request: Request, session: DbSession, principal: PagePrincipal, purpose: StatedPurpose,
    bcp: Annotated[str, Form(max_length=20)] = "",
    lane: Annotated[str, Form(max_length=20)] = "",
    direction: Annotated[str, Form(max_length=5)] = "entry",
    mrz: Annotated[str, Form(max_length=400)] = "",
    vehicle_plate: Annotated[str, Form(max_length=20)] = "",
    carrier: Annotated[str, Form(max_length=200)] = "",
    commodity: Annotated[str, Form(max_length=10)] = "",
    origin: Annotated[str, Form(max_length=3)] = "",
    destination: Annotated[str, Form(max_length=3)] = "",
    document_number: Annotated[str, Form(max_length=40)] = "",
    issuing_state: Annotated[str, Form(max_length=3)] = "",
    nationality: Annotated[str, Form(max_length=3)] = "",
    surname: Annotated[str, Form(max_length=200)] = "",
    given_names: Annotated[str, Form(max_length=200)] = "",
    birth_date: Annotated[str, Form(max_length=10)] = "",
    expiry_date: Annotated[str, Form(max_length=10)] = "",
    sex: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    ctx = _lane_context(session, bcp, lane, direction)
    typed = {"document_number": document_number, "issuing_state": issuing_state,
             "nationality": nationality, "surname": surname, "given_names": given_names,
             "birth_date": birth_date, "expiry_date": expiry_date, "sex": sex}
    try:
        document = None
        if not mrz.strip() and any(typed.values()):
            document = TypedDocument.model_validate(
                {k: (v or None) if k.endswith("_date") else v for k, v in typed.items()})
        req = CheckRequest(bcp=bcp, lane=lane, direction="exit" if direction == "exit" else "entry",
                           mrz=mrz or None, document=document, vehicle_plate=vehicle_plate,
                           carrier=carrier, commodity=commodity.strip(),
                           origin=origin.strip().upper(), destination=destination.strip().upper())
        ctx["result"] = service.check(session, principal, req, purpose)
    except (PermissionDenied, AuthenticationError):
        raise  # the error page says who may do this; not a decision about a traveller
    except GranicaError as exc:
        ctx["error"] = exc.message
        ctx["typed"] = typed
    except ValueError as exc:  # pydantic: a typed date that is not a date
        ctx["error"] = (str(exc).splitlines()[0] if str(exc)
                        else gettext(page_language(request), "invalid input"))
        ctx["typed"] = typed
    return render(request, "border/lane.html", ctx)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, principal: PagePrincipal,
          purpose: StatedPurpose, bcp: str = "", hours: int = 12) -> Response:
    view = service.shift_queue(session, principal, bcp or None, purpose, hours=hours)
    return render(request, "border/queue.html", {
        "view": view, "results": [service.check_result_of(c) for c in view.checks],
        "bcp": bcp, "hours": hours, "points": service.list_crossing_points(session),
    })


@router.get("/refusals/new", response_class=HTMLResponse)
def refusal_form(request: Request, session: DbSession, principal: PagePrincipal,
                 purpose: StatedPurpose, check_id: str = "") -> Response:
    check = service.get_check(session, principal, check_id, purpose) if check_id else None
    return render(request, "border/refusal.html", {
        "check": check, "letters": service.refusal_letters(), "error": None, "refusal": None,
        "particulars": service.refusal_particulars(),
        "points": service.list_crossing_points(session),
        "languages": service.refusal_languages()})


@router.post("/refusals", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def refusal_submit(request: Request, session: DbSession, principal: PagePrincipal,
                         purpose: StatedPurpose) -> Response:
    form = await request.form()
    reasons = [str(v) for v in form.getlist("reasons")]
    check_id = str(form.get("check_id") or "") or None
    try:
        details = {letter: str(form.get(f"detail_{letter}") or "").strip()
                   for letter in service.refusal_particulars() if letter in reasons}
        req = RefusalRequest(check_id=check_id, bcp=str(form.get("bcp") or ""),
                             reasons=reasons, remarks=str(form.get("remarks") or ""),
                             details={k: v for k, v in details.items() if v},
                             language=str(form.get("language") or "en"))
        refusal = service.decide_refusal(session, principal, req, purpose)
    except (GranicaError, ValueError) as exc:
        message = exc.message if isinstance(exc, GranicaError) else \
            gettext(page_language(request), "choose at least one reason of the standard form")
        check = service.get_check(session, principal, check_id, purpose) if check_id else None
        return render(request, "border/refusal.html", {
            "check": check, "letters": service.refusal_letters(), "error": message,
            "refusal": None, "particulars": service.refusal_particulars(), "points": service.list_crossing_points(session),
            "languages": service.refusal_languages()}, status_code=422)
    return RedirectResponse(f"/border/refusals/{refusal.id}", status_code=303)


@router.get("/refusals/{refusal_id}", response_class=HTMLResponse)
def refusal_done(request: Request, principal: PagePrincipal, refusal_id: str) -> Response:
    return render(request, "border/refusal.html", {
        "check": None, "letters": {}, "error": None, "refusal": refusal_id, "points": [],
        "particulars": {},
        "languages": {}})


@router.get("/refusals/{refusal_id}/pdf")
def refusal_pdf(refusal_id: str, session: DbSession, principal: PagePrincipal,
                purpose: StatedPurpose) -> Response:
    pdf = service.refusal_pdf(session, principal, refusal_id, purpose)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="refusal-{refusal_id}.pdf"'})
