"""ASGI middleware around every request: request id, access log and metrics, security
headers, and the upload size limit."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from granica.api import metrics

access_log = logging.getLogger("granica.access")

# Pages and API use only their own scripts, styles and images; nothing may frame them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class RequestContextMiddleware:
    """Gives each request an id, times it, counts it by route template and logs one JSON line.

    The log carries the route template and status, never the query string (it may hold names).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        metrics.IN_FLIGHT.inc()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            metrics.IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            metrics.observe(scope["method"], route, status, elapsed)
            access_log.info(
                "request",
                extra={"fields": {"request_id": request_id, "method": scope["method"],
                                  "route": route, "status": status,
                                  "duration_ms": round(elapsed * 1000, 2)}},
            )


def _route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix (`/api/v1/alerts/{alert_id}`).

    FastAPI hands us the route as declared in its router ("/alerts/{alert_id}"); the prefix
    it was mounted under is the part of the actual path in front of what that route matched.
    """
    raw = str(scope.get("path", ""))
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not template:
        return "/static/{file}" if raw.startswith("/static/") else "(unmatched)"
    regex = getattr(route, "path_regex", None)
    if regex is None or regex.match(raw):
        return str(template)
    for i, char in enumerate(raw):
        if char == "/" and i > 0 and regex.match(raw[i:]):
            return raw[:i] + str(template)
    return str(template)


class SecurityHeadersMiddleware:
    """Security headers on every response; `no-store` on everything but static files,
    because any page or API answer may carry personal data."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if path.startswith("/static/"):
                    headers["Cache-Control"] = "public, max-age=3600"
                else:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_wrapper)


def too_large_message(size: int | None, limit: int) -> str:
    got = f"{size:,} bytes" if size is not None else "more bytes"
    return (
        f"the request body ({got}) exceeds the limit of {limit:,} bytes "
        f"(GRANICA_MAX_UPLOAD_BYTES); send a smaller file or split it into parts"
    )


class BodySizeLimitMiddleware:
    """Refuses request bodies over settings.max_upload_bytes with 413 and a clear message.

    A declared Content-Length over the limit is refused before anything is read; a body
    without one (chunked) is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int, refuse: Any) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse  # async (scope, receive, send, message) -> None: answers 413

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > self.limit:
            await self.refuse(scope, receive, send, too_large_message(declared, self.limit))
            return
        received = 0
        limit = self.limit

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes HTTPException through its body parsing untouched
                    raise HTTPException(413, too_large_message(None, limit))
            return message

        await self.app(scope, counting_receive, send)


class CatchAllMiddleware:
    """Turns an unexpected exception into the app's own 500 response, inside the other
    middleware, so that it too carries the security headers and the request id."""

    def __init__(self, app: ASGIApp, handler: Any) -> None:
        self.app = app
        self.handler = handler  # async (Request, Exception) -> Response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if started:  # too late for an error page: let the server close the connection
                raise
            from starlette.requests import Request

            response = await self.handler(Request(scope, receive), exc)
            await response(scope, receive, send)
