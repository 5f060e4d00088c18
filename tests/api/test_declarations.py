"""Fast checks of what the contract run found, without a server: every operation under
/api/v1 documents the error statuses with the body the app answers with, and a method a
path does not serve answers 405 naming exactly the methods of that path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from granica.api.app import create_app
from granica.storage import Database


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    db = Database(f"sqlite:///{tmp_path / 'granica.db'}")
    db.upgrade()
    with TestClient(create_app(db)) as c:
        yield c
    db.dispose()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path.startswith("/api/v1/") and not path.endswith("openapi.json"):
                yield method, path, op


def test_every_api_operation_documents_its_errors_with_the_error_body(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    missing = []
    for method, path, op in operations(spec):
        for status in ("400", "401", "403", "413", "422"):
            schema = op["responses"].get(status, {}).get("content", {}).get(
                "application/json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/ErrorOut":
                missing.append(f"{method.upper()} {path} {status}")
    assert not missing, missing
    assert "HTTPValidationError" not in spec["components"]["schemas"]


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/api/v1/cooperation/profiles", "GET, POST"),
    ("OPTIONS", "/api/v1/alerts/categories", "GET"),
    ("PATCH", "/api/v1/alerts/some-id", "DELETE, GET, PUT"),
    ("POST", "/api/v1/cooperation/records/some-id", "GET, PUT"),
    ("OPTIONS", "/api/v1/cooperation/records/seizure", "POST"),
])
def test_a_method_the_path_does_not_serve_answers_405_with_its_methods(
        client: TestClient, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"] == "method_not_allowed"
    assert allow in response.json()["message"]


def test_each_search_names_its_own_identifier_parameter(client: TestClient) -> None:
    """One shared Query() object once gave all three searches the first one's name."""
    spec = client.get("/api/v1/openapi.json").json()
    for path, name in (("document", "number"), ("firearm", "serial"), ("object", "identifier")):
        params = spec["paths"][f"/api/v1/alerts/search/{path}"]["get"]["parameters"]
        assert name in [p["name"] for p in params if p["required"]], path
