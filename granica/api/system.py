"""Operations endpoints: `/health` for load balancers and `/metrics` for Prometheus."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from granica.api import metrics
from granica.api.deps import get_db
from granica.storage import Database

router = APIRouter(tags=["operations"])


@functools.lru_cache(maxsize=1)
def migration_head() -> str | None:
    """The newest migration this code ships (what the database should be at)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from granica.storage.migrate import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def check_health(db: Database) -> tuple[bool, dict[str, Any]]:
    from granica.storage.migrate import current

    head = migration_head()
    report: dict[str, Any] = {"database": {"dialect": db.dialect}, "migration": {"expected": head}}
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        report["database"]["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        report["database"].update(status="unreachable", message=str(exc).splitlines()[0][:200])
        report["migration"]["status"] = "unknown"
        return False, report
    try:
        now_at = current(db)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        report["migration"].update(status="unknown", message=str(exc).splitlines()[0][:200])
        return False, report
    report["migration"]["current"] = now_at
    if now_at == head:
        report["migration"]["status"] = "ok"
        return True, report
    report["migration"]["status"] = "behind"
    report["migration"]["message"] = "the database schema is not current: run `granica db upgrade`"
    return False, report


@router.get("/health", summary="Is this node able to serve?")
def health(request: Request) -> JSONResponse:
    """Answers **200** when the database is reachable and its schema is at the newest
    migration, **503** otherwise, with what is wrong and what to run.

    Example: `curl -s http://127.0.0.1:8000/health`
    ```json
    {"status": "ok", "database": {"dialect": "sqlite", "status": "ok"},
     "migration": {"expected": "0001", "current": "0001", "status": "ok"}}
    ```
    """
    ok, report = check_health(get_db(request))
    return JSONResponse({"status": "ok" if ok else "unavailable", **report},
                        status_code=200 if ok else 503)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    # browsers ask for it on their own; answering spares every page a logged 404
    from granica.web import STATIC_DIR

    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def prometheus_metrics() -> Response:
    """Request counts and latency by route template and status, job runs and process
    figures, in the Prometheus text format. Holds no personal data."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
