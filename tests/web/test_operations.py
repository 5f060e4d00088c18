"""Health, metrics, security headers, upload size limit, error pages, the API reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from granica import clock
from granica.storage import Database
from tests.web.conftest import GUARD, Seeded, login


@pytest.mark.acceptance
def test_health_says_ok_then_names_a_schema_that_is_behind(client: TestClient,
                                                           database: Database) -> None:
    r = client.get("/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["migration"]["current"] == body["migration"]["expected"]
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000_old'"))
    r = client.get("/health")
    assert r.status_code == 503
    assert r.json()["migration"]["status"] == "behind"
    assert "granica db upgrade" in r.json()["migration"]["message"]


def test_metrics_count_requests_by_route_template(client: TestClient, seeded: Seeded) -> None:
    def count(route: str, status: str) -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith("granica_http_requests_total{") and f'route="{route}"' in line \
                    and f'status="{status}"' in line and 'method="GET"' in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = count("/api/v1/me", "401")
    for _ in range(3):
        client.get("/api/v1/me")
    assert count("/api/v1/me", "401") == before + 3
    text = client.get("/metrics").text
    assert "granica_http_request_duration_seconds_bucket" in text
    assert seeded.token not in text and "marko" not in text


def test_security_headers_on_pages_api_and_static(client: TestClient) -> None:
    for path in ("/login", "/api/v1/me", "/health", "/does-not-exist"):
        h = client.get(path).headers
        assert "default-src 'self'" in h["content-security-policy"], path
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert h["x-content-type-options"] == "nosniff"
        assert h["cache-control"] == "no-store", path  # anything may carry personal data
    css = client.get("/static/granica.css")
    assert css.status_code == 200 and ":focus-visible" in css.text
    assert "no-store" not in css.headers["cache-control"]


@pytest.fixture
def small_limit_client(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from granica.api.app import create_app
    from granica.settings import reset_settings

    monkeypatch.setenv("GRANICA_MAX_UPLOAD_BYTES", "1000")
    reset_settings()
    with TestClient(create_app(seeded.database), follow_redirects=False) as c:
        yield c


@pytest.mark.acceptance
def test_oversized_body_is_refused_with_413_and_a_clear_message(small_limit_client: TestClient,
                                                                 seeded: Seeded) -> None:
    c = small_limit_client
    auth = {"Authorization": f"Bearer {seeded.token}"}
    r = c.post("/api/v1/me", content=b"x" * 1001, headers=auth)
    assert r.status_code == 413
    body = r.json()
    assert body["error"] == "too_large"
    assert "1,001 bytes" in body["message"] and "1,000 bytes" in body["message"]
    assert "GRANICA_MAX_UPLOAD_BYTES" in body["message"]

    # a body sent in chunks without a declared length is counted as it arrives
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b"y" * 400

    r = c.post("/login", content=chunks(),
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert "The upload is too large" in r.text and "smaller file" in r.text
    # under the limit, the request goes through to the route (405: /me has no POST)
    assert c.post("/api/v1/me", content=b"x" * 999, headers=auth).status_code == 405


def test_friendly_error_page_says_what_to_do_next(client: TestClient) -> None:
    r = client.get("/no/such/page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "Page not found" in r.text and "Check the address" in r.text
    assert 'href="/"' in r.text
    login(client, *GUARD)
    r = client.get("/no/such/page")
    assert "Marko Marković" in r.text  # the layout still shows who is logged in
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"] == "not_found"


def test_api_reference_shows_the_endpoints_docstrings(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert "/api/v1/me" in r.text and "check a newly issued token" in r.text
    assert "cdn." not in r.text  # nothing is fetched from elsewhere
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in spec["paths"]


def test_session_expires_after_inactivity(client: TestClient) -> None:
    from granica.settings import get_settings

    login(client, *GUARD)
    assert client.get("/").status_code == 200
    clock.advance(dt.timedelta(minutes=get_settings().session_minutes + 1))
    r = client.get("/")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?flash=session_expired"
    assert "session has expired" in client.get(r.headers["location"]).text


def test_health_reports_an_unreachable_database(tmp_path: object) -> None:
    from granica.api.system import check_health

    down = Database("postgresql+psycopg://granica@127.0.0.1:9/none?connect_timeout=2")
    try:
        ok, report = check_health(down)
    finally:
        down.dispose()
    assert not ok
    assert report["database"]["status"] == "unreachable" and report["database"]["message"]
