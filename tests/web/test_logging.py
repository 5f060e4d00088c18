"""One JSON logging set-up (granica.ops.logging) for the CLI and the server: the API's access
lines come out of the same formatter as every other record, without query strings, and
uvicorn's plain-text access log is off."""

from __future__ import annotations

import ast
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from granica.ops.logging import configure_logging

GRANICA = Path(__file__).resolve().parents[2] / "granica"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        yield stream
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if type(handler).__name__ == "_GranicaHandler":
                root.removeHandler(handler)


def test_access_lines_are_json_from_the_one_formatter(client: TestClient,
                                                      log_stream: io.StringIO) -> None:
    client.get("/api/v1/alerts/search?surname=Jovanovic&date_of_birth=1979-03-14",
               headers={"Authorization": "Bearer not-a-token"})
    entries = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    access = [e for e in entries if e["logger"] == "granica.access"]
    assert access, entries
    line = access[-1]
    assert line["msg"] == "request" and line["status"] == 401 and line["method"] == "GET"
    assert line["ts"].endswith("+00:00") and line["duration_ms"] >= 0
    assert "Jovanovic" not in json.dumps(line)  # the query string is never logged
    assert logging.getLogger("uvicorn.access").disabled


def test_no_second_log_formatter_in_granica() -> None:
    """A module that defines its own logging.Formatter would be a second set-up."""
    found = []
    for path in GRANICA.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    ast.unparse(base).endswith("Formatter") for base in node.bases):
                found.append(f"{path.relative_to(GRANICA)}:{node.name}")
    assert found == ["ops/logging.py:JsonFormatter"]
