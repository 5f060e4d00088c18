"""One place where failures become responses: JSON for the API, a friendly page for people.

GranicaError keeps its own status and message; anything unexpected becomes a 500
with a reference the user can quote, and its details go to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from granica.api.deps import LoginRequired, login_url
from granica.errors import GranicaError

log = logging.getLogger("granica.api")

# What a person can do next, by status (gettext message ids, shown on the error page).
NEXT_STEPS: dict[int, list[str]] = {
    400: ["Check what you entered and send it again."],
    401: ["Log in again, then repeat what you were doing."],
    403: [("If you need this for your work, ask your supervisor or the system administration "
           "to give you the permission.")],
    404: ["Check the address, or go back to the home page and follow the links."],
    405: ["Go back to the home page and follow the links."],
    409: ["Reload the page to see the current state, then decide again."],
    413: ["Send a smaller file, or split it into several parts."],
    422: ["Correct the field named in the message and send the form again."],
    500: [("Try again in a minute. If it happens again, tell the system administration "
           "and quote the reference below.")],
    503: ["Try again in a minute. If it happens again, tell the system administration."],
}

TITLES: dict[int, str] = {
    400: "The request could not be read",
    401: "Please log in",
    403: "You may not do this",
    404: "Page not found",
    405: "This action is not available here",
    409: "This conflicts with the current state",
    413: "The upload is too large",
    422: "Some data is not valid",
    500: "Something went wrong on our side",
    503: "A service is not available",
}


def wants_json(request: Request) -> bool:
    """API paths and clients that ask for JSON get JSON; browsers get a page."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/health", "/metrics"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def page_error(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    """Like error_response, but a page shows the logged-in user's header and navigation."""
    if not wants_json(request) and getattr(request.state, "principal", None) is None:
        from fastapi.concurrency import run_in_threadpool

        from granica.api.deps import optional_principal

        try:
            await run_in_threadpool(optional_principal, request)
        except Exception:  # the error page must render even with the database down
            log.warning("could not identify the user for an error page", exc_info=True)
    return error_response(request, status, body, headers)


def error_response(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    if wants_json(request):
        return JSONResponse(body, status_code=status, headers=headers)
    from granica.web import render

    context = {
        "status": status,
        "title": TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]),
        "message": body.get("message", ""),
        "field": body.get("field"),
        "next_steps": NEXT_STEPS.get(status, NEXT_STEPS[500] if status >= 500 else NEXT_STEPS[400]),
        "reference": getattr(request.state, "request_id", None),
    }
    try:
        return render(request, "error.html", context, status_code=status, headers=headers)
    except Exception:  # the error page itself must never fail: fall back to plain text
        log.exception("error page failed to render")
        return Response(f"{status}: {body.get('message', '')}", status_code=status,
                        media_type="text/plain; charset=utf-8")


async def granica_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GranicaError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    if exc.http_status >= 500:
        log.error("service failure: %s", exc.message)
    return await page_error(request, exc.http_status, exc.to_dict(), headers)


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes with a path and methods, in matching order; FastAPI keeps an included
    router's routes inside it (with their prefix applied)."""
    for route in routes:
        inner = getattr(route, "_effective_candidates", None)
        if inner is not None:
            yield from _leaf_routes(inner)
        elif getattr(route, "methods", None) and getattr(route, "path_regex", None) is not None:
            yield route


def allowed_methods(request: Request) -> list[str]:
    """The methods of the resource at this path, as the OpenAPI document declares it: the
    first route whose path matches names the path template, and every route of that template
    gives its methods. (Starlette's own 405 names only the first route's methods, though a
    resource is often served by several routes: GET and POST of a collection.)"""
    path = request.url.path
    routes = list(_leaf_routes(request.app.router.routes))
    template = next((r.path_format for r in routes if r.path_regex.match(path)), None)
    methods = {m for r in routes if r.path_format == template for m in r.methods}
    return sorted(methods - {"HEAD"})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is nothing at {request.url.path}"
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed at {request.url.path}; use {headers['Allow']}"
    body = {"error": codes.get(exc.status_code, "http_error"), "message": detail}
    return await page_error(request, exc.status_code, body, headers or None)


async def validation_error(request: Request, exc: Exception) -> Response:
    """Pydantic's complaints, reshaped: the first one names the field, all are listed."""
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        problems.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    where = f"field '{first['field']}': " if first["field"] else ""
    body: dict[str, Any] = {
        "error": "validation_error",
        "message": f"{where}{first['message']}",
        "field": first["field"],
        "details": {"problems": problems},
    }
    return await page_error(request, 422, body)


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = login_url(exc.next_url, exc.expired)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    ref = getattr(request.state, "request_id", "?")
    log.exception("unhandled error (reference %s)", ref)
    body = {
        "error": "internal_error",
        "message": f"an unexpected error occurred; quote reference {ref} to the system administration",
    }
    return error_response(request, 500, body)


def install(app: FastAPI) -> None:
    app.add_exception_handler(GranicaError, granica_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(LoginRequired, login_required)
    # unexpected exceptions are answered by CatchAllMiddleware (inside the security headers)
