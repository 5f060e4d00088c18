"""The platform's own pages: log in, log out, the home page and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from granica.api.deps import (
    SESSION_COOKIE,
    CSRFProtected,
    OptionalPrincipal,
    PagePrincipal,
    get_db,
    session_cookie_kwargs,
)
from granica.auth.permissions import PERMISSIONS
from granica.errors import AuthenticationError, GranicaError
from granica.settings import get_settings
from granica.web import LANGUAGE_COOKIE, csrf, render
from granica.web.i18n import LANGUAGES, normalise_language

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our login."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login", response_class=HTMLResponse, dependencies=[CSRFProtected])
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    from granica.auth import service as auth

    try:
        with get_db(request).session() as session:
            principal = auth.authenticate_password(session, username.strip(), password, source="web")
            previous = request.cookies.get(SESSION_COOKIE)
            if previous:  # a login replaces any session this browser had
                auth.close_session(session, previous)
            session_id = auth.open_session(session, principal)
    except AuthenticationError as exc:
        return render(request, "login.html",
                      {"next": safe_next(next), "username": username, "error": exc.message},
                      status_code=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, **session_cookie_kwargs())  # type: ignore[arg-type]
    # a token planted before login (login CSRF) must not work afterwards
    csrf.rotate(request)
    csrf.set_cookie_if_new(request, response)
    response.set_cookie(LANGUAGE_COOKIE, normalise_language(principal.language), max_age=365 * 86400,
                        httponly=True, samesite="strict", secure=get_settings().secure_cookies)
    return response


@router.post("/logout", dependencies=[CSRFProtected])
def logout(request: Request) -> Response:
    from granica.auth import service as auth

    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        with get_db(request).session() as session:
            try:
                auth.close_session(session, session_id)
            except GranicaError:
                pass  # already expired or closed: the user is logged out either way
    response = RedirectResponse("/login?flash=logged_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language", dependencies=[CSRFProtected])
def switch_language(
    request: Request,
    principal: OptionalPrincipal,
    language: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Change the page language; a logged-in user keeps it for the next login too."""
    if language not in LANGUAGES:
        raise GranicaError(f"unknown language '{language}'; choose one of "
                           f"{', '.join(LANGUAGES)}", field="language")
    if principal is not None:
        from granica.auth import service as auth

        with get_db(request).session() as session:
            auth.set_language(session, principal, language)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, httponly=True,
                        samesite="strict", secure=get_settings().secure_cookies)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: PagePrincipal) -> Response:
    """What this user may do: the pages their permissions open, and the permissions themselves."""
    granted = [(name, PERMISSIONS[name]) for name in sorted(principal.permissions) if name in PERMISSIONS]
    return render(request, "home.html", {"permissions": granted, "roles": sorted(principal.roles)})
