"""The error responses routers document in OpenAPI: `responses=errors(404, 409)` adds them
(401 and 403 always), with the error body every failure answers with.

Every router under /api/v1 is mounted with `API_ERRORS` (what any operation may answer:
a body that cannot be parsed, not authenticated, permission denied, body too
large, invalid input); a route adds the
statuses of its own with `errors(...)`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DESCRIPTIONS = {400: "malformed request", 401: "not authenticated", 403: "permission denied",
                404: "not found", 405: "method not allowed at this path (the Allow header names the methods)",
                409: "conflict with the stored state",
                413: "upload or body too large",
                422: "invalid input (the message names the field)",
                503: "a source or peer is unavailable; retry later"}


class ErrorOut(BaseModel):
    """What every failure answers with; `message` says what is wrong and what to do next."""

    error: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": ErrorOut, "description": DESCRIPTIONS[c]} for c in (401, 403, *codes)}


# What any operation under /api/v1 may answer (app.create_app mounts every router with it).
API_ERRORS = errors(400, 413, 422)
