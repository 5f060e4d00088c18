"""JSON API of the cooperation between agencies (mounted under /api/v1): shared records,
subscriptions, notifications, joint risk profiles and screening, links. Thin routers."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.convertors import StringConvertor, register_url_convertor

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.api.responses import errors
from granica.clock import IsoDateTime
from granica.cooperation import service
from granica.cooperation.codelists import codelists
from granica.cooperation.schemas import (
    Flag,
    NotificationOut,
    ProfileIn,
    ProfileOut,
    RecordList,
    RecordOut,
    ScreeningIn,
    SubscriptionIn,
    SubscriptionOut,
)

router = APIRouter(prefix="/cooperation", tags=["cooperation between agencies"])

Kind = Literal["seizure", "inspection", "incident", "case"]


class KindConvertor(StringConvertor):
    """Matches only a record kind, so that `/records/{kind}` (POST) does not catch every
    `/records/{record_id}`: another method on a record answers 405, not a kind error."""

    regex = "|".join(get_args(Kind))


register_url_convertor("record_kind", KindConvertor())


class RecordChange(BaseModel):
    version: int
    data: dict[str, Any]


class OutcomeIn(BaseModel):
    outcome: Literal["found", "nothing"]
    record_id: str | None = None


class RetireIn(BaseModel):
    reason: str


@router.get("/codelists", responses=errors())
def code_lists(principal: CurrentPrincipal) -> dict[str, Any]:
    """The code lists records are checked against (goods, substances, HS chapters, UN numbers,
    CITES, incident types, CHED, case types, FRAN), each with its source."""
    lists = codelists()
    return {"sources": lists.sources,
            "goods": {k: {"label": g.label, "unit": g.unit, "needs": list(g.needs),
                          "threshold": g.threshold} for k, g in lists.goods.items()},
            "substances": lists.substances, "hs_chapters": lists.hs_chapters,
            "un_numbers": lists.un_numbers, "cites": lists.cites,
            "incident_types": lists.incident_types, "incident": lists.incident,
            "transport_modes": lists.transport_modes, "ched": lists.ched, "case": lists.case,
            "fran": lists.fran}


@router.post("/records/{kind:record_kind}", response_model=RecordOut, status_code=201,
             responses=errors(404, 405, 422))
def create(kind: Kind, session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
           response: Response, body: Annotated[dict[str, Any], Body()],
           notify_shift: bool = False) -> RecordOut:
    """Record a seizure, an inspection of a consignment, an incident or a trafficking or
    smuggling case for your agency. The body follows the kind's model (see `/codelists`).

    Example: `POST /api/v1/cooperation/records/seizure` with `{"occurred_at":
    "2026-11-14T08:10:00Z", "bcp": "RS-BATROVCI", "goods": [{"category": "cigarettes",
    "quantity": 120000, "hs_code": "240220"}], "vehicle_plate": "BG1234AB"}`
    """
    out = service.create_record(session, principal, kind, body, purpose,
                                notify_shift=notify_shift)
    response.headers["Location"] = f"/api/v1/cooperation/records/{out.id}"
    return out


@router.get("/records", response_model=RecordList, responses=errors(422))
def search(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
           kind: Kind | None = None, bcp: str | None = Query(None, max_length=20),
           key_kind: Literal["vehicle", "company", "route", "commodity", "bcp", "person",
                             "phone", "document", "ref"] | None = None,
           key_value: str | None = Query(None, max_length=200),
           since: IsoDateTime | None = None, until: IsoDateTime | None = None,
           limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> RecordList:
    """Records your agency may see (its own and those shared with it), newest first."""
    return service.list_records(session, principal, purpose, kind=kind, bcp=bcp,
                                key_kind=key_kind, key_value=key_value, since=since,
                                until=until, limit=limit, offset=offset)


@router.get("/records/{record_id}", response_model=RecordOut, responses=errors(404))
def read(record_id: str, session: DbSession, principal: CurrentPrincipal,
         purpose: StatedPurpose) -> RecordOut:
    """One record by id or reference (audited)."""
    return service.get_record(session, principal, record_id, purpose)


@router.put("/records/{record_id}", response_model=RecordOut, responses=errors(404, 409, 422))
def update(record_id: str, body: RecordChange, session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> RecordOut:
    """Correct a record of your agency; send the version you read (409 if it changed)."""
    return service.update_record(session, principal, record_id, body.data, purpose,
                                 expected_version=body.version)


@router.get("/records/{record_id}/links", responses=errors(404))
def record_links(record_id: str, session: DbSession, principal: CurrentPrincipal,
                 purpose: StatedPurpose) -> dict[str, Any]:
    """What connects this record to others you may see: the same vehicle, company, phone,
    document or reference, or a person whose name matches."""
    return service.links(session, principal, record_id, purpose)


@router.get("/subscriptions", response_model=list[SubscriptionOut], responses=errors())
def subscriptions(session: DbSession, principal: CurrentPrincipal) -> list[SubscriptionOut]:
    """Your agency's active subscriptions."""
    return service.list_subscriptions(session, principal)


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201,
             responses=errors(409, 422))
def subscribe(body: SubscriptionIn, session: DbSession, principal: CurrentPrincipal,
              purpose: StatedPurpose) -> SubscriptionOut:
    """Be told when another agency records something naming this vehicle, company, route,
    commodity, crossing point, person, phone or document."""
    return service.subscribe(session, principal, body, purpose)


@router.delete("/subscriptions/{subscription_id}", status_code=204, responses=errors(404))
def unsubscribe(subscription_id: str, session: DbSession, principal: CurrentPrincipal,
                purpose: StatedPurpose) -> Response:
    service.cancel_subscription(session, principal, subscription_id, purpose)
    return Response(status_code=204)


@router.get("/notifications", response_model=list[NotificationOut], responses=errors())
def notifications(session: DbSession, principal: CurrentPrincipal,
                  unread_only: bool = True) -> list[NotificationOut]:
    """Notices for your agency (and your crossing point's shift), urgent ones first."""
    return service.notifications(session, principal, unread_only=unread_only)


@router.post("/notifications/{notification_id}/read", status_code=204, responses=errors(404))
def read_notification(notification_id: str, session: DbSession,
                      principal: CurrentPrincipal) -> Response:
    service.mark_read(session, principal, notification_id)
    return Response(status_code=204)


@router.get("/profiles", response_model=list[ProfileOut], responses=errors())
def profiles(session: DbSession, principal: CurrentPrincipal,
             include_retired: bool = False) -> list[ProfileOut]:
    """Risk profiles with their flags and hit rates."""
    return service.list_profiles(session, principal, include_retired)


@router.post("/profiles", response_model=ProfileOut, status_code=201, responses=errors(422))
def create_profile(body: ProfileIn, session: DbSession, principal: CurrentPrincipal,
                   purpose: StatedPurpose) -> ProfileOut:
    """Write a risk profile with other agencies: every criterion given must hold for a
    check to be flagged, and the officer is shown the `reason`."""
    return service.create_profile(session, principal, body, purpose)


@router.post("/profiles/{profile_id}/retire", response_model=ProfileOut,
             responses=errors(404, 422))
def retire_profile(profile_id: str, body: RetireIn, session: DbSession,
                   principal: CurrentPrincipal, purpose: StatedPurpose) -> ProfileOut:
    """Stop a profile (for example one whose hit rate is low)."""
    return service.retire_profile(session, principal, profile_id, body.reason, purpose)


@router.post("/screen", response_model=list[Flag], responses=errors(422))
def screen(body: ScreeningIn, session: DbSession, principal: CurrentPrincipal,
           purpose: StatedPurpose) -> list[Flag]:
    """Screen the facts of a check (crossing point, carrier, route, commodity, vehicle)
    against the active risk profiles; each flag comes with its reason."""
    return service.screen(session, principal, body, purpose)


@router.post("/flags/{hit_id}/outcome", status_code=204, responses=errors(404, 422))
def flag_outcome(hit_id: str, body: OutcomeIn, session: DbSession, principal: CurrentPrincipal,
                 purpose: StatedPurpose) -> Response:
    """What the control of a flagged check found (for the profile's hit rate)."""
    service.record_outcome(session, principal, hit_id, body.outcome, purpose, body.record_id)
    return Response(status_code=204)
