"""FastAPI dependencies every router uses: the database session, who is asking, and why.

Routers stay thin: they take `DbSession`, `CurrentPrincipal` (API) or `PagePrincipal`
(pages), and `StatedPurpose`, and hand them to one service function.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from granica.auth.permissions import ROLE_PURPOSES
from granica.auth.principal import Principal
from granica.errors import AuthenticationError
from granica.settings import get_settings
from granica.storage import Database, get_database
from granica.web import csrf

SESSION_COOKIE = "granica_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The purpose recorded in the audit log when a request states none, by role (the roles table).
DEFAULT_PURPOSES: dict[str, str] = ROLE_PURPOSES


class LoginRequired(Exception):
    """A page asked for by someone not logged in; the app answers with a redirect to /login."""

    def __init__(self, next_url: str, expired: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


def get_db(request: Request) -> Database:
    """The application's database (the one given to create_app, else the node's default)."""
    db = getattr(request.app.state, "database", None)
    return db if db is not None else get_database()


def db_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the endpoint returns, rolled back if it raises."""
    with get_db(request).session() as session:
        yield session


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authenticate(request: Request) -> Principal | None:
    """Who the request comes from (bearer token first, then session cookie), or None.

    Authentication uses its own short transaction, so a session's sliding expiry is
    recorded even when the request itself fails.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from granica.auth import service as auth

    token = _bearer(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    if token is None and not session_id:
        return None
    with get_db(request).session() as session:
        if token is not None:
            principal = auth.principal_from_token(session, token)
        else:
            assert session_id
            principal = auth.principal_from_session(session, session_id)
    request.state.principal = principal
    request.state.auth_via = "token" if token is not None else "session"
    return principal


def current_principal(request: Request) -> Principal:
    """The caller of an API endpoint: `Authorization: Bearer <token>` or the page session cookie.

    A state-changing request that relies on the cookie must also carry the page's CSRF
    token in `X-CSRF-Token`; token clients need not.
    """
    principal = authenticate(request)
    if principal is None:
        raise AuthenticationError(
            "authentication required: send 'Authorization: Bearer <token>' "
            "(get one with `granica users token`) or log in at /login"
        )
    if request.state.auth_via == "session" and request.method not in SAFE_METHODS:
        csrf.check(request, request.headers.get(csrf.CSRF_HEADER))
    return principal


def optional_principal(request: Request) -> Principal | None:
    """The logged-in user if there is one (pages anyone may see: login, errors)."""
    try:
        return authenticate(request)
    except AuthenticationError:
        return None


def page_principal(request: Request) -> Principal:
    """The user of a page; someone not logged in (or whose session expired) goes to /login."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        principal = authenticate(request)
    except AuthenticationError:
        raise LoginRequired(target, expired=True) from None
    if principal is None:
        raise LoginRequired(target)
    return principal


def login_url(next_url: str, expired: bool = False) -> str:
    url = "/login"
    params = []
    if next_url and next_url != "/":
        params.append(f"next={quote(next_url, safe='/')}")
    if expired:
        params.append("flash=session_expired")
    return url + ("?" + "&".join(params) if params else "")


async def csrf_protect(request: Request) -> None:
    """Refuse a page POST whose form field `csrf_token` (or X-CSRF-Token header) is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(csrf.CSRF_HEADER)
    if not submitted:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(csrf.CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
    csrf.check(request, submitted)


async def stated_purpose(request: Request) -> str:
    """Why the data is consulted, for the audit log: header `X-Purpose`, field or query `purpose`,
    else the default purpose of the caller's first role."""
    value = request.headers.get("x-purpose") or request.query_params.get("purpose")
    if not value:
        content_type = request.headers.get("content-type", "")
        if request.method not in SAFE_METHODS and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            field = form.get("purpose")
            value = field if isinstance(field, str) else None
    if value and value.strip():
        return value.strip()[:300]
    principal = getattr(request.state, "principal", None)
    if principal is None:
        principal = await run_in_threadpool(optional_principal, request)
    if principal is not None:
        for role in sorted(principal.roles):
            if role in DEFAULT_PURPOSES:
                return DEFAULT_PURPOSES[role]
    return "not stated"


def session_cookie_kwargs() -> dict[str, object]:
    """How the session cookie is set: never readable by scripts, never sent cross-site."""
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": get_settings().secure_cookies,
        "path": "/",
    }


# Annotated shorthands for routers. The session's scope is "function" so that it commits
# before the response is sent (a client never sees success for a rolled-back change).
DbSession = Annotated[Session, Depends(db_session, scope="function")]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
PagePrincipal = Annotated[Principal, Depends(page_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
StatedPurpose = Annotated[str, Depends(stated_purpose)]
CSRFProtected = Depends(csrf_protect)
