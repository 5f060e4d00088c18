"""CSRF protection for the pages: a double-submit token in a SameSite=Strict cookie and the form.

A page that renders a form puts the cookie's token in a hidden field; a POST is
accepted only when the field (or the `X-CSRF-Token` header, for htmx) equals the
cookie. Another site can neither read the cookie nor make the browser send it.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from granica.errors import GranicaError
from granica.settings import get_settings

CSRF_COOKIE = "granica_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CSRFError(GranicaError):
    """A form posted without the token of the page it came from."""

    http_status = 403
    code = "csrf_failed"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def request_token(request: Request) -> str:
    """The token this request's page should carry: the cookie's, or a new one set on the response."""
    existing = getattr(request.state, "csrf_token", None)
    if existing:
        return str(existing)
    token = request.cookies.get(CSRF_COOKIE) or ""
    if len(token) < 32:
        token = new_token()
        request.state.csrf_new = True
    request.state.csrf_token = token
    return token


def rotate(request: Request) -> str:
    """Issue a fresh token (after login, so a token planted before it is worthless)."""
    token = new_token()
    request.state.csrf_token = token
    request.state.csrf_new = True
    return token


def set_cookie_if_new(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            CSRF_COOKIE, request.state.csrf_token, httponly=True, samesite="strict",
            secure=get_settings().secure_cookies, path="/",
        )


def check(request: Request, submitted: str | None) -> None:
    """Raise CSRFError unless the submitted token equals the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise CSRFError(
            "this form has expired or did not come from Granica's own page (CSRF check failed); "
            "go back, reload the page and submit it again",
        )
