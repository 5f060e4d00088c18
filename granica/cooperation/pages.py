"""The agencies' screens: shared records and notifications, record forms (seizure,
inspection of a consignment, incident), a record with its links as a network graph,
subscriptions and joint risk profiles with their hit rates."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from granica.api.deps import CSRFProtected, DbSession, PagePrincipal, StatedPurpose
from granica.cooperation import service
from granica.cooperation.codelists import codelists
from granica.cooperation.schemas import ProfileIn, SubscriptionIn
from granica.errors import GranicaError, NotFoundError
from granica.web import gettext, page_language, render
from granica.web.charts import bar_chart
from granica.web.nav import NavItem

router = APIRouter(prefix="/cooperation", include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"

NAV_ITEMS = (
    NavItem("Cooperation", "/cooperation", "Seizures, inspections, incidents and cases shared "
            "between border police, customs and the inspections; your notifications.",
            permission="cooperation.read", order=40),
    NavItem("Risk profiles", "/cooperation/profiles", "Risk profiles written by several "
            "agencies, with the hit rate of each.", permission="cooperation.profiles", order=41),
)

FORM_KINDS = ("seizure", "inspection", "incident")
KIND_LABELS = {"seizure": "Seizure", "inspection": "Inspection of a consignment",
               "incident": "Incident", "case": "Trafficking or smuggling case"}
SUBSCRIPTION_KINDS = {"vehicle": "Vehicle (plate)", "company": "Company or carrier",
                      "route": "Route (origin>destination)", "commodity": "Commodity (HS code)",
                      "bcp": "Border crossing point", "person": "Person",
                      "phone": "Phone number", "document": "Document number"}


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' stylesheet (the pages' CSP allows no inline styles)."""
    if name != "cooperation.css":
        raise NotFoundError(f"no cooperation static file '{name}'")
    return FileResponse(STATIC / name, media_type="text/css",
                        headers={"Cache-Control": "no-cache"})


def _text(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


def _opt(form: Any, name: str) -> str | None:
    return _text(form, name) or None


def _number(form: Any, name: str) -> float | None:
    raw = _text(form, name).replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise GranicaError(f"field '{name}': '{raw}' is not a number", field=name) from None


def _occurred(form: Any) -> str:
    """The form's local date and time as an instant with the node's offset."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from granica.settings import get_settings

    raw = _text(form, "occurred_at")
    try:
        local = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise GranicaError(f"field 'occurred_at': '{raw}' is not a date and time; use the "
                           "picker or write 2026-11-14T08:30", field="occurred_at") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(get_settings().local_timezone))
    return local.isoformat()


def payload_from_form(kind: str, form: Any) -> dict[str, Any]:
    """The record the form describes, in the shape of the kind's input model."""
    base: dict[str, Any] = {"occurred_at": _occurred(form), "bcp": _opt(form, "bcp"),
                            "location": _text(form, "location"), "notes": _text(form, "notes")}
    if _text(form, "share_all"):
        base["shared_with"] = ["*"]
    if kind == "seizure":
        line: dict[str, Any] = {"category": _text(form, "category"),
                                "quantity": _number(form, "quantity")}
        for name in ("substance", "hs_code", "un_number", "cites_appendix", "species"):
            if _text(form, name):
                line[name] = _text(form, name)
        if _text(form, "serials"):
            line["serials"] = [s.strip() for s in _text(form, "serials").split(",") if s.strip()]
        base.update({"goods": [line], "vehicle_plate": _opt(form, "vehicle_plate"),
                     "carrier": _opt(form, "carrier"),
                     "origin": (_opt(form, "origin") or "").upper() or None,
                     "destination": (_opt(form, "destination") or "").upper() or None,
                     "transport_mode": _opt(form, "transport_mode"),
                     "concealment": _text(form, "concealment"),
                     "detection": _text(form, "detection") or "bcp_check"})
    elif kind == "inspection":
        checks = {name: _text(form, f"check_{name}") for name in codelists().ched["checks"]
                  if _text(form, f"check_{name}")}
        base.update({"ched_type": _text(form, "ched_type"),
                     "ched_reference": _opt(form, "ched_reference"),
                     "consignor": _text(form, "consignor"), "consignee": _text(form, "consignee"),
                     "country_of_origin": _text(form, "country_of_origin").upper(),
                     "transport_mode": _text(form, "transport_mode"),
                     "transport_id": _text(form, "transport_id"),
                     "commodities": [{"hs_code": _text(form, "hs_code"),
                                      "net_weight_kg": _number(form, "net_weight_kg"),
                                      "description": _text(form, "description")}],
                     "checks": checks, "decision": _text(form, "decision"),
                     "not_acceptable_action": _opt(form, "not_acceptable_action"),
                     "refusal_reasons": [str(v) for v in form.getlist("refusal_reasons")]})
    elif kind == "incident":
        base.update({"type": _text(form, "type"), "stage": _text(form, "stage") or "committed",
                     "detection": _text(form, "detection") or "surveillance",
                     "direction": _text(form, "direction") or "entry",
                     "impact_level": _text(form, "impact_level") or "low",
                     "persons_total": int(_number(form, "persons_total") or 0),
                     "minors": int(_number(form, "minors") or 0),
                     "nationalities": [n.strip().upper() for n in
                                       _text(form, "nationalities").split(",") if n.strip()],
                     "transport_mode": _opt(form, "transport_mode"),
                     "vehicle_plate": _opt(form, "vehicle_plate"),
                     "description": _text(form, "description")})
    return base


def _points(session: Any) -> list[str]:
    from granica.border import service as border

    return [p.code for p, _lanes in border.list_crossing_points(session)]


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: DbSession, principal: PagePrincipal,
             purpose: StatedPurpose, kind: str = "", bcp: str = "", key_kind: str = "",
             key_value: str = "") -> Response:
    ctx: dict[str, Any] = {"q": {"kind": kind, "bcp": bcp, "key_kind": key_kind,
                                 "key_value": key_value},
                           "kinds": KIND_LABELS, "form_kinds": FORM_KINDS,
                           "key_kinds": SUBSCRIPTION_KINDS, "points": _points(session),
                           "error": None, "records": None}
    ctx["notices"] = service.notifications(session, principal)
    try:
        ctx["records"] = service.list_records(
            session, principal, purpose, kind=kind or None, bcp=bcp or None,
            key_kind=key_kind or None, key_value=key_value or None)
    except GranicaError as exc:
        ctx["error"] = exc.message
    return render(request, "cooperation/overview.html", ctx)


@router.post("/notifications/{notification_id}/read", dependencies=[CSRFProtected])
def notification_read(notification_id: str, session: DbSession,
                      principal: PagePrincipal) -> Response:
    service.mark_read(session, principal, notification_id)
    return RedirectResponse("/cooperation", status_code=303)


def _form_context(session: Any, kind: str, values: dict[str, Any],
                  error: str | None, field: str | None) -> dict[str, Any]:
    return {"kind": kind, "kind_label": KIND_LABELS[kind], "lists": codelists(),
            "points": _points(session), "values": values, "error": error,
            "error_field": field}


@router.get("/new/{kind}", response_class=HTMLResponse)
def new_record(kind: str, request: Request, session: DbSession,
               principal: PagePrincipal) -> Response:
    if kind not in FORM_KINDS:
        return RedirectResponse("/cooperation", status_code=303)
    values = {"bcp": principal.station or ""}
    return render(request, "cooperation/new.html",
                  _form_context(session, kind, values, None, None))


@router.post("/new/{kind}", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def create_record(kind: str, request: Request, session: DbSession,
                        principal: PagePrincipal, purpose: StatedPurpose) -> Response:
    form = await request.form()
    if kind not in FORM_KINDS:
        return RedirectResponse("/cooperation", status_code=303)
    values = {k: form.get(k) for k in form}
    try:
        out = service.create_record(session, principal, kind, payload_from_form(kind, form),
                                    purpose, notify_shift=bool(form.get("notify_shift")))
    except GranicaError as exc:
        session.rollback()
        return render(request, "cooperation/new.html",
                      _form_context(session, kind, values, exc.message, exc.field),
                      status_code=exc.http_status)
    return RedirectResponse(f"/cooperation/records/{out.id}", status_code=303)


def network_svg(graph: dict[str, Any], language: str) -> Markup:
    """The record and what links to it: the record in the middle, the others on a circle,
    each a keyboard-focusable link; the shared key is each line's title."""
    nodes = graph["nodes"]
    size, centre, radius = 520, 260, 190
    place: dict[str, tuple[float, float]] = {graph["start"]: (centre, centre)}
    others = [n for n in nodes if n["id"] != graph["start"]]
    for i, node in enumerate(others):
        angle = 2 * math.pi * i / max(len(others), 1) - math.pi / 2
        place[node["id"]] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    title = gettext(language, "Records linked to this one")
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="100%" '
             f'class="network" role="group" aria-label="{escape(title)}">')]
    for edge in graph["edges"]:
        (x1, y1), (x2, y2) = place[edge["a"]], place[edge["b"]]
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                     f'stroke="#7a8896" stroke-width="2"><title>{escape(edge["kind"])}: '
                     f'{escape(edge["label"])}</title></line>')
    for node in nodes:
        x, y = place[node["id"]]
        start = node["id"] == graph["start"]
        fill = "#1f5fa8" if start else "#c2571a"
        parts.append(
            f'<a href="/cooperation/records/{escape(node["id"])}">'
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{18 if start else 13}" fill="{fill}">'
            f'<title>{escape(node["reference"])}: {escape(node["summary"])}</title></circle>'
            f'<text x="{x:.0f}" y="{y + 30:.0f}" text-anchor="middle" font-size="11">'
            f'{escape(node["reference"])}</text></a>')
    parts.append("</svg>")
    return Markup("".join(parts))


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_page(record_id: str, request: Request, session: DbSession,
                principal: PagePrincipal, purpose: StatedPurpose) -> Response:
    record = service.get_record(session, principal, record_id, purpose)
    graph = service.links(session, principal, record.id, purpose)
    references = {n["id"]: n["reference"] for n in graph["nodes"]}
    return render(request, "cooperation/record.html", {
        "record": record, "graph": graph, "references": references,
        "network": network_svg(graph, page_language(request)), "kinds": KIND_LABELS})


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, session: DbSession, principal: PagePrincipal,
                       error: str | None = None) -> Response:
    return render(request, "cooperation/subscriptions.html", {
        "subscriptions": service.list_subscriptions(session, principal),
        "key_kinds": SUBSCRIPTION_KINDS, "points": _points(session), "error": error,
        "values": {}})


@router.post("/subscriptions", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def subscribe(request: Request, session: DbSession, principal: PagePrincipal,
                    purpose: StatedPurpose) -> Response:
    form = await request.form()
    values = {k: form.get(k) for k in form}
    try:
        body = SubscriptionIn.model_validate({
            "kind": _text(form, "kind"), "value": _text(form, "value"),
            "urgent": bool(form.get("urgent")), "bcp": _opt(form, "bcp")})
        service.subscribe(session, principal, body, purpose)
    except (GranicaError, ValueError) as exc:
        session.rollback()
        message = exc.message if isinstance(exc, GranicaError) else _first_error(exc)
        return render(request, "cooperation/subscriptions.html", {
            "subscriptions": service.list_subscriptions(session, principal),
            "key_kinds": SUBSCRIPTION_KINDS, "points": _points(session), "error": message,
            "values": values}, status_code=422)
    return RedirectResponse("/cooperation/subscriptions", status_code=303)


@router.post("/subscriptions/{subscription_id}/cancel", dependencies=[CSRFProtected])
def unsubscribe(subscription_id: str, session: DbSession, principal: PagePrincipal,
                purpose: StatedPurpose) -> Response:
    service.cancel_subscription(session, principal, subscription_id, purpose)
    return RedirectResponse("/cooperation/subscriptions", status_code=303)


def _first_error(exc: ValueError) -> str:
    import pydantic

    if isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"field '{where}': {str(first['msg']).removeprefix('Value error, ')}"
    return str(exc)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


@router.get("/profiles", response_class=HTMLResponse)
def profiles_page(request: Request, session: DbSession, principal: PagePrincipal) -> Response:
    return _profiles(request, session, principal, None, {}, 200)


def _profiles(request: Request, session: Any, principal: Any, error: str | None,
              values: dict[str, Any], status: int) -> Response:
    from granica.auth.permissions import AGENCIES

    profiles = service.list_profiles(session, principal, include_retired=True)
    rated = [p for p in profiles if p.hit_rate is not None]
    language = page_language(request)
    chart = Markup(bar_chart(
        gettext(language, "Hit rate of each risk profile (share of flags where something was "
                          "found)"),
        [p.name for p in rated], {gettext(language, "hit rate"): [p.hit_rate or 0.0
                                                                   for p in rated]})) \
        if rated else None
    return render(request, "cooperation/profiles.html", {
        "profiles": profiles, "chart": chart, "error": error, "values": values,
        "agencies": [a for a in AGENCIES if a != principal.agency]}, status_code=status)


@router.post("/profiles", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def create_profile(request: Request, session: DbSession, principal: PagePrincipal,
                         purpose: StatedPurpose) -> Response:
    form = await request.form()
    values = {k: form.get(k) for k in form}
    criteria: dict[str, Any] = {}
    for name in ("bcp", "nationality", "origin", "destination", "carrier", "commodity",
                 "vehicle_plate_prefix"):
        items = _split(_text(form, name))
        if items:
            criteria[name] = [i.upper() for i in items] if name in (
                "nationality", "origin", "destination") else items
    if _text(form, "direction"):
        criteria["direction"] = _text(form, "direction")
    try:
        body = ProfileIn.model_validate({
            "name": _text(form, "name"), "reason": _text(form, "reason"),
            "criteria": criteria, "agencies": [str(a) for a in form.getlist("agencies")]})
        service.create_profile(session, principal, body, purpose)
    except (GranicaError, ValueError) as exc:
        session.rollback()
        message = exc.message if isinstance(exc, GranicaError) else _first_error(exc)
        return _profiles(request, session, principal, message, values, 422)
    return RedirectResponse("/cooperation/profiles", status_code=303)


@router.post("/profiles/{profile_id}/retire", dependencies=[CSRFProtected])
async def retire(profile_id: str, request: Request, session: DbSession,
                 principal: PagePrincipal, purpose: StatedPurpose) -> Response:
    form = await request.form()
    service.retire_profile(session, principal, profile_id,
                           _text(form, "reason") or "retired from the profiles page", purpose)
    return RedirectResponse("/cooperation/profiles", status_code=303)
