"""Failures become JSON for the API and a friendly page for people, in one place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from granica.api.deps import CurrentPrincipal, PagePrincipal, StatedPurpose
from granica.errors import PermissionDenied, ValidationError
from tests.web.conftest import GUARD, Seeded, csrf_of, login

probe = APIRouter()


@probe.post("/api/v1/test-probe")
def probe_post(principal: CurrentPrincipal, purpose: StatedPurpose) -> dict[str, str]:
    return {"user": principal.username, "purpose": purpose}


@probe.get("/api/v1/test-invalid")
def probe_invalid(principal: CurrentPrincipal) -> None:
    raise ValidationError("date of birth 1990-02-31 does not exist; check the day",
                          field="date_of_birth")


@probe.get("/test-forbidden")
def probe_forbidden(principal: PagePrincipal) -> None:
    raise PermissionDenied("user 'marko.guard' lacks permission 'alerts.supplementary.read'")


@probe.get("/api/v1/test-crash")
def probe_crash() -> None:
    raise RuntimeError("secret internal detail")


@pytest.fixture
def probe_client(seeded: Seeded) -> Iterator[TestClient]:
    from granica.api.app import create_app

    app = create_app(seeded.database)
    app.include_router(probe)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as c:
        yield c


def test_domain_errors_keep_their_status_message_and_field(probe_client: TestClient,
                                                           seeded: Seeded) -> None:
    auth = {"Authorization": f"Bearer {seeded.token}"}
    r = probe_client.get("/api/v1/test-invalid", headers=auth)
    assert r.status_code == 422
    assert r.json() == {"error": "validation_error", "field": "date_of_birth",
                        "message": "date of birth 1990-02-31 does not exist; check the day"}
    login(probe_client, *GUARD)
    page = probe_client.get("/test-forbidden")
    assert page.status_code == 403
    assert "You may not do this" in page.text and "alerts.supplementary.read" in page.text
    assert "ask your supervisor" in page.text


def test_unexpected_errors_give_a_reference_and_hide_the_details(probe_client: TestClient) -> None:
    r = probe_client.get("/api/v1/test-crash")
    assert r.status_code == 500
    body = r.json()
    assert body["error"] == "internal_error"
    assert r.headers["x-request-id"] in body["message"]
    assert "secret internal detail" not in r.text
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"


def test_cookie_authenticated_api_post_needs_the_csrf_header(probe_client: TestClient,
                                                             seeded: Seeded) -> None:
    login(probe_client, *GUARD)
    r = probe_client.post("/api/v1/test-probe")
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
    token = probe_client.cookies["granica_csrf"]
    r = probe_client.post("/api/v1/test-probe", headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    assert r.json() == {"user": GUARD[0], "purpose": "border check"}  # the role's default purpose
    # a machine client with a bearer token needs no CSRF token, and states its purpose
    bare = TestClient(probe_client.app)
    r = bare.post("/api/v1/test-probe", headers={"Authorization": f"Bearer {seeded.token}",
                                                 "X-Purpose": "kiosk check at Batrovci"})
    assert r.status_code == 200 and r.json()["purpose"] == "kiosk check at Batrovci"


def test_request_validation_errors_name_the_field(probe_client: TestClient) -> None:
    r = probe_client.post("/language", data={"csrf_token": "x"})
    assert r.status_code in (403, 422)  # forged: refused either way, never processed
    r = probe_client.post("/language", data={"csrf_token": csrf_of(probe_client)})
    assert r.status_code == 422
    assert "Some data is not valid" in r.text and "language" in r.text
