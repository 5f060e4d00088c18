"""The web application: API under /api/v1, the pages, health and metrics, in one FastAPI app.

Each domain contributes `granica.<domain>.api:router` (JSON, mounted under /api/v1)
and `granica.<domain>.pages:router` (HTML); domains not written yet are skipped,
but a domain that exists and fails to import stops the start.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

import granica
from granica.api import errors
from granica.api.middleware import (
    BodySizeLimitMiddleware,
    CatchAllMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from granica.api.responses import API_ERRORS
from granica.settings import get_settings
from granica.storage import Database
from granica.web import STATIC_DIR, nav
from granica.web.i18n import LANGUAGES, translations

# Domains whose routers are mounted, in navigation order.
DOMAINS: tuple[str, ...] = (
    "sis", "border", "sirene", "asylum", "cooperation", "analysis", "dpo", "audit", "auth",
    "exchange", "ops",
)

API_PREFIX = "/api/v1"

DESCRIPTION = """\
Granica's JSON API for machine clients (kiosks, e-gates, other national systems).

**Authentication.** Send `Authorization: Bearer <token>` with every request. A system
administrator issues tokens with `granica users token USERNAME --name CLIENT`; the
token is shown once. Browser sessions of the pages are accepted too, but then a
state-changing request must carry the page's `X-CSRF-Token` header.

**Purpose.** Every read or search of personal data is written to the audit log with
its purpose: send it in the `X-Purpose` header (for example `X-Purpose: border check
at BCP Batrovci`). Without it the default purpose of your role is recorded.

**Errors.** Failures answer with a JSON object `{"error": code, "message": text,
"field": name}`; the message names what is wrong and what to do next.
"""


def _optional_module(name: str) -> ModuleType | None:
    """Import `name`, or None if that module (or its package) does not exist yet.

    Any other import failure (a bug inside the module, a missing dependency) is raised.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and name.startswith(missing) and (missing == name or name[len(missing)] == "."):
            return None
        raise


def _include_domains(app: FastAPI) -> list[str]:
    mounted = []
    for domain in DOMAINS:
        api = _optional_module(f"granica.{domain}.api")
        if api is not None:
            app.include_router(api.router, prefix=API_PREFIX, responses=API_ERRORS)
            mounted.append(f"{domain}.api")
        pages = _optional_module(f"granica.{domain}.pages")
        if pages is not None:
            app.include_router(pages.router)
            for more in getattr(pages, "MORE_ROUTERS", ()):  # a domain's pages in more modules
                app.include_router(more)
            nav.register(getattr(pages, "NAV_ITEMS", ()))
            mounted.append(f"{domain}.pages")
    return mounted


def create_app(database: Database | None = None) -> FastAPI:
    """Build the application on `database` (default: the node's database from settings)."""
    from granica.api import core, docs, system
    from granica.web import pages

    settings = get_settings()
    app = FastAPI(
        title="Granica API",
        version=granica.__version__ if hasattr(granica, "__version__") else "0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # the reference is served by /api/docs from our own template (no CDN)
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.database = database
    # compile the page catalogues now, so that a broken .po file stops the start, not a page
    for language in LANGUAGES:
        translations(language)
    errors.install(app)

    app.include_router(system.router)
    app.include_router(core.router, prefix=API_PREFIX, responses=API_ERRORS)
    app.include_router(docs.router)
    app.include_router(pages.router)
    app.state.mounted_domains = _include_domains(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    async def refuse_too_large(scope: Scope, receive: Receive, send: Send, message: str) -> None:
        request = Request(scope, receive)
        body = {"error": "too_large", "message": message}
        response = errors.error_response(request, 413, body)
        await response(scope, receive, send)

    # added innermost first: the request context wraps everything, so even a 413 is counted
    app.add_middleware(CatchAllMiddleware, handler=errors.unexpected_error)
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_upload_bytes,
                       refuse=refuse_too_large)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    app.add_middleware(RequestContextMiddleware)
    return app
