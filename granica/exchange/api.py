"""JSON API of the exchange: the inbox other nodes post to, and the state of the links.

The inbox takes no token: each message is authenticated by its sender's signature,
checked against the key configured for that peer, and refused (and recorded) when it
does not hold. Refusals are per message, in the acknowledgement, so one bad message
does not hold back the others of a batch.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from granica.api.deps import CurrentPrincipal, DbSession, get_db
from granica.api.responses import errors
from granica.exchange import service

router = APIRouter(prefix="/exchange", tags=["exchange between nodes"])

MAX_BATCH = 1000


class InboxIn(BaseModel):
    messages: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH,
        description="signed envelopes: v, id, sender, recipient, kind, conversation, seq, "
        "created_at, body, signature")


class AckOut(BaseModel):
    id: str | None = Field(description="the message's id, when it could be read")
    status: Literal["accepted", "duplicate", "refused"]
    reason: str | None = Field(None, description="why it was refused: malformed, "
                               "unknown_sender, bad_signature, wrong_recipient, too_old, "
                               "from_the_future, unknown_kind, too_large, sequence_reused, "
                               "id_reused, unsupported_version")
    detail: str | None = None


class InboxOut(BaseModel):
    acks: list[AckOut]


@router.post("/inbox", response_model=InboxOut, responses=errors())
def post_inbox(body: InboxIn, request: Request) -> dict[str, Any]:
    """Messages from another node. Each is acknowledged: `accepted` (stored, and handled
    in its conversation's order), `duplicate` (stored before; not handled again) or
    `refused` with the reason. A sender retries what got no acknowledgement.

    Example: `POST /api/v1/exchange/inbox` with `{"messages": [{"v": 1, ...}]}`
    """
    remote = request.client.host if request.client else None
    acks = service.receive(get_db(request), body.messages, remote=remote)
    return {"acks": [a.to_dict() for a in acks]}


@router.get("/status")
def exchange_status(
    session: DbSession,
    principal: CurrentPrincipal,
    conversation: str | None = Query(None, min_length=1, max_length=128),
) -> dict[str, Any]:
    """Messages out and in per peer and state, and the latest refusals (permission
    `exchange.monitor`; no message content).

    Example: `GET /api/v1/exchange/status`
    """
    return service.status(session, principal, conversation)
