"""Structured JSON logs: one JSON object per line on stderr, for `granica serve` and the CLI.
The one logging set-up of Granica: the API's access log (`granica.access`, written by the
request middleware) goes through it too."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key == "fields" and isinstance(value, dict):
                out.update(value)  # the jobs' convention: extra={"fields": {...}}
            elif key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _GranicaHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we installed, so configuring twice does not log twice."""


def configure_logging(level: str | None = None, stream: TextIO | None = None) -> None:
    """Send every logger's records as JSON lines to stderr at the configured level."""
    from granica.settings import get_settings

    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _GranicaHandler):
            root.removeHandler(handler)
    handler = _GranicaHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel((level or get_settings().log_level).upper())
    # uvicorn's own handlers would print plain text beside ours
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # the request middleware's access log replaces uvicorn's, which would print query strings
    # (they may hold names)
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
