"""The alert register's screens: search (Cyrillic or Latin), entry form built from the category
data, validation queue, alert view with the action to be taken and warnings first."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from granica.api.deps import CSRFProtected, DbSession, PagePrincipal, StatedPurpose
from granica.auth.principal import Principal
from granica.errors import GranicaError
from granica.sis import search, service
from granica.sis.categories import (
    CATEGORIES,
    IDENTIFIER_SEARCHES,
    OBJECT_CATEGORIES,
    PERSON_CATEGORIES,
    READ_SUPPLEMENTARY,
    Category,
)
from granica.web import render
from granica.web.nav import NavItem

router = APIRouter(prefix="/alerts", include_in_schema=False)

NAV_ITEMS = (
    NavItem("Alerts", "/alerts", "Search the alert register: persons by name in any script, "
            "documents, vehicles, firearms and other objects.",
            any_of=("alerts.person.read", "alerts.object.read"), order=10),
    NavItem("New alert", "/alerts/new", "Enter an alert; a colleague validates it.",
            permission="alerts.enter", order=11),
    NavItem("Validation queue", "/alerts/queue", "Alerts entered by colleagues, waiting for "
            "your validation.", permission="alerts.validate", order=12),
)

_SPLIT = re.compile(r"[,;\n]+")
OBJECT_KINDS = {"": "any identifier",
                **{code: label for code, (label, _) in IDENTIFIER_SEARCHES.items()}}


def _enterable(principal: Principal) -> dict[str, list[Category]]:
    return {
        "person": [c for c in PERSON_CATEGORIES if principal.can(c.enter_permission)],
        "object": [c for c in OBJECT_CATEGORIES if principal.can(c.enter_permission)],
    }


def payload_from_form(category: Category, form: FormData) -> dict[str, Any]:
    """Turn the generated form's fields back into the category's data (lists split on commas)."""
    data: dict[str, Any] = {}
    for spec in category.fields:
        if spec.kind == "choices":
            values = [str(v) for v in form.getlist(spec.name)]
            if values:
                data[spec.name] = values
            continue
        if spec.kind == "bool":
            if form.get(spec.name):
                data[spec.name] = True
            continue
        if spec.kind == "documents":
            doc = {k: str(form.get(f"{spec.name}_{k}") or "").strip()
                   for k in ("type", "number", "country", "issue_date")}
            if doc["number"]:
                data[spec.name] = [{k: v for k, v in doc.items() if v}]
            continue
        raw = str(form.get(spec.name) or "").strip()
        if not raw:
            continue
        if spec.kind in ("texts", "refs", "countries"):
            data[spec.name] = [p.strip() for p in _SPLIT.split(raw) if p.strip()]
        elif spec.kind == "country":
            data[spec.name] = raw.upper()
        else:
            data[spec.name] = raw
    payload: dict[str, Any] = {"category": category.code, "data": data}
    sup = str(form.get("supplementary_information") or "").strip()
    if sup:
        payload["supplementary_information"] = sup
    return payload


def _form_values(form: FormData | None) -> dict[str, Any]:
    if form is None:
        return {}
    return {k: (form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k)) for k in form}


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, session: DbSession, principal: PagePrincipal, purpose: StatedPurpose,
                name: str = "", date_of_birth: str = "", dob_mode: str = "exact", nationality: str = "",
                sex: str = "", identifier: str = "", kind: str = "") -> Response:
    ctx: dict[str, Any] = {"q": {"name": name, "date_of_birth": date_of_birth, "dob_mode": dob_mode,
                                 "nationality": nationality, "sex": sex, "identifier": identifier,
                                 "kind": kind},
                           "results": None, "error": None, "object_kinds": OBJECT_KINDS,
                           "categories": CATEGORIES}
    try:
        if name.strip():
            ctx["results"] = search.search_person(
                session, principal, name=name, date_of_birth=date_of_birth.strip() or None,
                dob_mode=dob_mode if dob_mode in ("exact", "year", "approximate") else "exact",  # type: ignore[arg-type]
                nationality=nationality.strip() or None, sex=sex.strip() or None, purpose=purpose)
        elif identifier.strip():
            if kind == "document":
                ctx["results"] = search.find_document(session, principal, identifier, purpose=purpose)
            elif kind == "vehicle":
                ctx["results"] = search.find_object(session, principal, identifier,
                                                    kinds=search.VEHICLE_KINDS,
                                                    purpose=purpose, action="alerts.search.vehicle")
            elif kind == "firearm":
                ctx["results"] = search.find_firearm(session, principal, identifier, purpose=purpose)
            else:
                ctx["results"] = search.find_object(session, principal, identifier, purpose=purpose)
    except GranicaError as exc:
        if exc.http_status in (401, 403):
            raise
        ctx["error"] = exc.message
    return render(request, "sis/search.html", ctx)


@router.get("/new", response_class=HTMLResponse)
def new_alert(request: Request, principal: PagePrincipal, category: str = "") -> Response:
    enterable = _enterable(principal)
    chosen = CATEGORIES.get(category)
    if chosen is not None and not principal.can(chosen.enter_permission):
        chosen = None
    return render(request, "sis/new.html", {
        "enterable": enterable, "category": chosen, "values": {}, "error": None, "error_field": None,
        "can_supplementary": principal.can(READ_SUPPLEMENTARY)})


@router.post("/new", response_class=HTMLResponse, dependencies=[CSRFProtected])
async def create(request: Request, session: DbSession, principal: PagePrincipal,
                 purpose: StatedPurpose) -> Response:
    form = await request.form()
    category = CATEGORIES.get(str(form.get("category") or ""))
    try:
        if category is None:
            from granica.sis.categories import get_category

            get_category(str(form.get("category") or ""))  # raises the clear error
            raise AssertionError  # pragma: no cover
        view = service.create_alert(session, principal, payload_from_form(category, form), purpose=purpose)
    except GranicaError as exc:
        if exc.http_status in (401, 403):
            raise
        field = (exc.field or "").removeprefix("data.").split("[")[0]
        session.rollback()
        return render(request, "sis/new.html", {
            "enterable": _enterable(principal), "category": category, "values": _form_values(form),
            "error": exc.message, "error_field": field,
            "can_supplementary": principal.can(READ_SUPPLEMENTARY)}, status_code=exc.http_status)
    return RedirectResponse(f"/alerts/{view['alert_id']}", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, principal: PagePrincipal,
          purpose: StatedPurpose) -> Response:
    drafts = service.list_drafts(session, principal, purpose=purpose)
    return render(request, "sis/queue.html", {"drafts": drafts, "categories": CATEGORIES})


@router.post("/{alert_id}/validate", response_class=HTMLResponse, dependencies=[CSRFProtected])
def validate(request: Request, alert_id: str, session: DbSession, principal: PagePrincipal,
             purpose: StatedPurpose) -> Response:
    try:
        service.validate_alert(session, principal, alert_id, purpose=purpose)
    except GranicaError as exc:
        if exc.http_status in (401, 403, 404):
            raise
        session.rollback()
        view = service.get_alert(session, principal, alert_id, purpose=purpose)
        return render(request, "sis/alert.html", {"alert": view, "error": exc.message,
                                                  "category": CATEGORIES[view["category"]]},
                      status_code=exc.http_status)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.get("/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str, session: DbSession, principal: PagePrincipal,
               purpose: StatedPurpose) -> Response:
    view = service.get_alert(session, principal, alert_id, purpose=purpose)
    return render(request, "sis/alert.html", {"alert": view, "error": None,
                                              "category": CATEGORIES[view["category"]]})
