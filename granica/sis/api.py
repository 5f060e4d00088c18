"""JSON API of the alert register (mounted under /api/v1): entry, validation, lifecycle,
searches, import and export. Thin: every call is one service function."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.api.responses import errors
from granica.errors import TooLargeError
from granica.settings import get_settings
from granica.sis import search, service
from granica.sis.categories import CATEGORIES
from granica.sis.schemas import (
    AlertChange,
    AlertIn,
    AlertOut,
    Assessment,
    HideIn,
    HitIn,
    ImportReportOut,
    LinkIn,
    MisusedIdentityIn,
    Reason,
    SearchResult,
    category_schema,
)

router = APIRouter(prefix="/alerts", tags=["alert register"])

# Text with a letter (in any script); an identifier with something besides spaces, dashes,
# dots and slashes (which are dropped); a date of birth as YYYY-MM-DD, YYYY-MM or YYYY.
LETTER = r"[^\W\d_]"
IDENTIFIER = r"[^\s./-]"
PARTIAL_DATE = r"^(1[89]|20)\d{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
Identifier = Annotated[str, Query(min_length=1, max_length=64, pattern=IDENTIFIER)]

# An act on one alert: it may not exist (or not for you), or its state may not allow the act.
ON_ALERT = errors(404, 409)


@router.get("/categories")
def categories() -> list[dict[str, Any]]:
    """Every alert category with its fields, mandatory fields, action, review period and
    the permissions to enter, validate and see it (the data the forms are built from)."""
    return [category_schema(c) for c in CATEGORIES.values()]


@router.post("", response_model=AlertOut, status_code=201, responses=errors(409))
def create(body: AlertIn, session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> dict[str, Any]:
    """Enter a national alert as a draft; a second user validates it (four eyes).

    Example: `POST /api/v1/alerts` with `{"category": "motor_vehicle", "data": {"vin":
    "WVWZZZ1KZ8W000012", "purpose": "seizure", "reason": "stolen", "issuing_authority": "PU Beograd"}}`
    """
    return service.create_alert(session, principal, body.model_dump(exclude_none=True), purpose=purpose)


@router.get("/queue")
def queue(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose) -> list[dict[str, Any]]:
    """Drafts waiting for validation."""
    return service.list_drafts(session, principal, purpose=purpose)


@router.get("/search/person", response_model=list[SearchResult])
def search_person(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                  name: str = Query(min_length=1, max_length=200, pattern=LETTER),
                  date_of_birth: str | None = Query(None, max_length=10, pattern=PARTIAL_DATE),
                  dob_mode: str = Query("exact", pattern="^(exact|year|approximate)$"),
                  nationality: str | None = Query(None, pattern=r"^[A-Za-z]{2}$"),
                  sex: str | None = Query(None, max_length=1),
                  limit: int = Query(20, ge=1, le=200)) -> list[dict[str, Any]]:
    """Persons by name in any script, order or spelling, with date of birth (exact, year or
    approximate), nationality and sex. Example: `?name=Ђорђе Јовановић&date_of_birth=1980-04-12`"""
    return search.search_person(session, principal, name=name, date_of_birth=date_of_birth,
                                dob_mode=dob_mode, nationality=nationality, sex=sex,  # type: ignore[arg-type]
                                limit=limit, purpose=purpose)


@router.get("/search/document", response_model=list[SearchResult])
def search_document(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                    number: Identifier, country: str | None = Query(None, max_length=2),
                    document_type: str | None = Query(None, max_length=30)) -> list[dict[str, Any]]:
    """Stolen, lost, invalid or false documents, and person alerts listing the document."""
    return search.find_document(session, principal, number, country=country,
                                document_type=document_type, purpose=purpose)


@router.get("/search/vehicle", response_model=list[SearchResult])
def search_vehicle(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                   vin: str | None = Query(None, min_length=1, max_length=64, pattern=IDENTIFIER),
                   plate: str | None = Query(None, min_length=1, max_length=64, pattern=IDENTIFIER),
                   country: str | None = Query(None, max_length=2)) -> list[dict[str, Any]]:
    """Vehicles, trailers, caravans and plates by VIN or registration plate."""
    return search.find_vehicle(session, principal, vin=vin, plate=plate, country=country, purpose=purpose)


@router.get("/search/firearm", response_model=list[SearchResult])
def search_firearm(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                   serial: Identifier, make: str | None = Query(None, max_length=60),
                   calibre: str | None = Query(None, max_length=20)) -> list[dict[str, Any]]:
    """Firearms by serial number; make and calibre confirm or weaken the match."""
    return search.find_firearm(session, principal, serial, make=make, calibre=calibre, purpose=purpose)


@router.get("/search/object", response_model=list[SearchResult])
def search_object(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                  identifier: Identifier,
                  country: str | None = Query(None, max_length=2)) -> list[dict[str, Any]]:
    """Any object identifier: VIN, plate, document, serial, banknote, container, IMEI, ..."""
    return search.find_object(session, principal, identifier, country=country, purpose=purpose)


@router.post("/import", response_model=ImportReportOut, responses=errors(400))
async def import_alerts(request: Request, session: DbSession, principal: CurrentPrincipal,
                        purpose: StatedPurpose) -> dict[str, Any]:
    """Load alerts from a JSONL body (one alert per line, the export's shape). Good lines
    are stored, each rejected line is reported with its reason."""
    limit = get_settings().max_upload_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit:
        raise TooLargeError(f"upload of {declared} bytes is over the limit of {limit} bytes; "
                            "split the file or use `granica alerts import`")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLargeError(f"upload over the limit of {limit} bytes; split the file")
    report = service.import_alerts(session, principal, bytes(body).splitlines(), purpose=purpose,
                                   max_bytes=limit)
    return report.to_dict()


@router.get("/export", response_class=Response, responses={
    200: {"content": {"application/x-ndjson": {}}, "description": "one alert per line (JSONL)"}})
def export(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
           category: str | None = Query(None, json_schema_extra={"enum": sorted(CATEGORIES)}),
           issuing_country: str | None = Query(None, max_length=2)) -> Response:
    """Alerts as JSONL, one per line, in the shape of `GET /alerts/{id}`."""
    lines = [service.export_line(v) + "\n" for v in service.export_alerts(
        session, principal, purpose=purpose, category=category, issuing_country=issuing_country)]
    return Response("".join(lines), media_type="application/x-ndjson")


@router.get("/{alert_id}", response_model=AlertOut, responses=errors(404))
def read(alert_id: str, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """One alert by id or Schengen identifier, as you may see it (action and warnings first)."""
    return service.get_alert(session, principal, alert_id, purpose=purpose)


@router.put("/{alert_id}", response_model=AlertOut, responses=ON_ALERT)
def update(alert_id: str, body: AlertChange, session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> dict[str, Any]:
    """Change a national alert; it goes back to validation."""
    return service.update_alert(session, principal, alert_id, body.model_dump(exclude_none=True),
                                purpose=purpose)


@router.post("/{alert_id}/validate", response_model=AlertOut, responses=ON_ALERT)
def validate(alert_id: str, session: DbSession, principal: CurrentPrincipal,
             purpose: StatedPurpose) -> dict[str, Any]:
    """Validate a draft entered by someone else (four eyes)."""
    return service.validate_alert(session, principal, alert_id, purpose=purpose)


@router.post("/{alert_id}/flags", response_model=AlertOut, responses=ON_ALERT)
def flag(alert_id: str, body: Reason, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """Flag the alert: its action is not executed in this country."""
    return service.flag_alert(session, principal, alert_id, reason=body.reason, purpose=purpose)


@router.post("/{alert_id}/hide", response_model=AlertOut, responses=ON_ALERT)
def hide(alert_id: str, body: HideIn, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """Hide a national arrest alert from end users for an operation (at most 48 hours; hide
    again to renew); only the SIRENE Bureau sees it meanwhile."""
    return service.hide_alert(session, principal, alert_id, hours=body.hours, reason=body.reason,
                              purpose=purpose)


@router.post("/{alert_id}/links", response_model=AlertOut, responses=ON_ALERT)
def link(alert_id: str, body: LinkIn, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> dict[str, Any]:
    """Link two alerts for an operational need."""
    return service.link_alerts(session, principal, alert_id, body.other_alert_id, reason=body.reason,
                               purpose=purpose)


@router.post("/{alert_id}/misused-identity", response_model=AlertOut, responses=ON_ALERT)
def misused_identity(alert_id: str, body: MisusedIdentityIn, session: DbSession,
                     principal: CurrentPrincipal, purpose: StatedPurpose) -> dict[str, Any]:
    """Add the victim's data of a misused identity, with their recorded consent."""
    return service.add_misused_identity(session, principal, alert_id, victim=body.victim,
                                        consent_reference=body.consent_reference,
                                        consent_given_on=body.consent_given_on, purpose=purpose)


@router.post("/{alert_id}/extend", response_model=AlertOut, responses=ON_ALERT)
def extend(alert_id: str, body: Assessment, session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> dict[str, Any]:
    """Keep the alert for another review period, with the individual assessment recorded."""
    return service.extend_alert(session, principal, alert_id, reason=body.reason, purpose=purpose)


@router.post("/{alert_id}/hits", status_code=201, responses=ON_ALERT)
def hit(alert_id: str, body: HitIn, session: DbSession, principal: CurrentPrincipal,
        purpose: StatedPurpose) -> dict[str, str]:
    """Report a hit; a hit on another country's alert goes to the SIRENE Bureau."""
    return {"hit_report_id": service.report_hit(session, principal, alert_id, context=body.context,
                                                purpose=purpose)}


@router.delete("/{alert_id}", status_code=204, responses=ON_ALERT)
def delete(alert_id: str, session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
           reason: str = Query(min_length=5, max_length=1000)) -> Response:
    """Delete a national alert (purpose achieved, surrender, revocation); the audit trail stays."""
    service.delete_alert(session, principal, alert_id, reason=reason, purpose=purpose)
    return Response(status_code=204)
