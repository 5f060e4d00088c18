"""Acceptance through the web: pages (form built from the category data, queue, view, search)
and the JSON API, on both databases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from granica.audit.models import AuditEntry
from granica.storage import Database
from tests.web.conftest import _cheap_password_hashing, csrf_of, login  # noqa: F401

pytestmark = [pytest.mark.acceptance, pytest.mark.db]

OFFICER = ("petar.officer", "Officer-Pass-Word-12")
VALIDATOR = ("vesna.validator", "Validator-Pass-Word-34")
GUARD = ("goran.guard", "Guard-Pass-Word-5678")
CUSTOMS = ("cira.customs", "Customs-Pass-Word-90")


@pytest.fixture
def app_client(database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from granica.api.app import create_app
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    actor = system_principal("test set-up")
    tokens: dict[str, str] = {}
    with database.session() as s:
        for (username, password), agency, role in (
                (OFFICER, "CRIMINAL_POLICE", "police_officer"),
                (VALIDATOR, "CRIMINAL_POLICE", "police_validator"),
                (GUARD, "BORDER_POLICE", "border_guard"), (CUSTOMS, "CUSTOMS", "customs_officer")):
            auth.create_user(s, actor, username=username, password=password, agency=agency,
                             roles=[role])
            tokens[username] = auth.issue_token(s, actor, username, name="test")
    with TestClient(create_app(database), follow_redirects=False) as client:
        yield client, tokens


def _logout(client: TestClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    client.cookies.clear()


def test_alerts_enter_validate_find_by_cyrillic_in_the_pages(
        app_client: tuple[TestClient, dict[str, str]], database: Database) -> None:
    client, _ = app_client
    login(client, *OFFICER)
    form_page = client.get("/alerts/new?category=arrest").text
    # the form is generated from the category data: every field has a label and a stable id
    for field in ("surname", "forenames", "date_of_birth", "warrant_reference", "sex"):
        assert f'id="{field}"' in form_page and f'for="{field}"' in form_page
    token = csrf_of(client, "/alerts/new?category=arrest")
    bad = client.post("/alerts/new", data={
        "csrf_token": token, "category": "arrest", "surname": "Jovanović", "forenames": "Đorđe",
        "sex": "M", "date_of_birth": "1980-02-31", "reason": "armed robbery",
        "issuing_authority": "Viši sud", "warrant_reference": "EAW-1"})
    assert bad.status_code == 422 and "date_of_birth" in bad.text and 'aria-invalid="true"' in bad.text
    r = client.post("/alerts/new", data={
        "csrf_token": token, "category": "arrest", "surname": "Jovanović", "forenames": "Đorđe",
        "sex": "M", "date_of_birth": "1980-04-12", "nationalities": "RS", "reason": "armed robbery",
        "issuing_authority": "Viši sud u Beogradu", "warrant_reference": "EAW-2026-1",
        "warning_markers": ["armed", "violent"], "purpose": "new EAW"})
    assert r.status_code == 303, r.text
    alert_url = r.headers["location"]
    assert "draft" in client.get(alert_url).text
    _logout(client)

    login(client, *VALIDATOR)
    queue = client.get("/alerts/queue").text
    alert_id = alert_url.rsplit("/", 1)[1]
    assert f'id="validate-{alert_id}"' in queue
    r = client.post(f"/alerts/{alert_id}/validate", data={"csrf_token": csrf_of(client, "/alerts/queue")})
    assert r.status_code == 303
    _logout(client)

    login(client, *GUARD)
    page = client.get("/alerts", params={"name": "Ђорђе Јовановић", "date_of_birth": "1980-04-12"}).text
    assert f'data-alert-id="{alert_id}"' in page
    action = re.search(r'class="result-action"><strong>[^<]*</strong>([^<]*)<', page)
    assert action and "Arrest" in action.group(1)
    assert page.index("result-action") < page.index("Why it matched")
    view = client.get(alert_url).text
    assert view.index('id="action-to-be-taken"') < view.index('id="alert-data"')
    assert "warning marker: armed" in view

    with database.session() as s:
        steps = s.execute(sa.select(AuditEntry.action, AuditEntry.username).where(
            AuditEntry.action.like("alerts.%")).order_by(AuditEntry.seq)).all()
    steps = [tuple(x) for x in steps]
    assert ("alerts.create", OFFICER[0]) in steps
    assert ("alerts.validate", VALIDATOR[0]) in steps
    assert ("alerts.search.person", GUARD[0]) in steps


def test_alerts_api_round_trip_and_errors(app_client: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = app_client

    def h(user: tuple[str, str], purpose: str = "api test") -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[user[0]]}", "X-Purpose": purpose}

    cats = client.get("/api/v1/alerts/categories", headers=h(GUARD)).json()
    assert {c["code"] for c in cats} >= {"arrest", "motor_vehicle", "firearm", "banknote"}
    body = {"category": "motor_vehicle", "data": {
        "vin": "WVWZZZ1KZ8W000012", "plate": "BG 123-AB", "plate_country": "RS",
        "purpose": "seizure", "reason": "stolen", "issuing_authority": "PU Beograd"}}
    created = client.post("/api/v1/alerts", json=body, headers=h(OFFICER))
    assert created.status_code == 201, created.text
    alert_id = created.json()["alert_id"]
    same_user = client.post(f"/api/v1/alerts/{alert_id}/validate", headers=h(OFFICER))
    assert same_user.status_code in (403, 422)
    assert client.post(f"/api/v1/alerts/{alert_id}/validate", headers=h(VALIDATOR)).status_code == 200
    found = client.get("/api/v1/alerts/search/vehicle", params={"plate": "bg123ab"}, headers=h(CUSTOMS))
    assert found.status_code == 200 and found.json()[0]["alert_id"] == alert_id
    assert set(found.json()[0]) == {"alert_id", "schengen_id", "issuing_country", "category", "score",
                                    "match", "reasons", "action_to_be_taken", "warnings",
                                    "summary"}
    assert found.json()[0]["match"] == "strong"  # a plate found is the plate
    denied = client.get("/api/v1/alerts/search/person", params={"name": "Marko"}, headers=h(CUSTOMS))
    assert denied.status_code == 403
    bad = client.post("/api/v1/alerts", json={**body, "data": {**body["data"], "colour_code": 7}},
                      headers=h(OFFICER))
    assert bad.status_code == 422 and bad.json()["field"] == "data.colour_code"
    unknown = client.post("/api/v1/alerts", json={"category": "spaceship", "data": {}}, headers=h(OFFICER))
    assert unknown.status_code == 422 and unknown.json()["field"] == "category"
    dup = client.post("/api/v1/alerts", json=body, headers=h(OFFICER))
    assert dup.status_code == 409
    malformed = client.post("/api/v1/alerts", content=b'{"category": ', headers={
        **h(OFFICER), "Content-Type": "application/json"})
    assert malformed.status_code in (400, 422)


def test_alerts_api_import_limits(app_client: tuple[TestClient, dict[str, str]], database: Database,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from granica.auth import service as auth
    from granica.auth.principal import system_principal
    from granica.settings import get_settings

    client, _ = app_client
    with database.session() as s:
        actor = system_principal("t")
        auth.create_user(s, actor, username="sara.sirene", password="Sirene-Pass-Word-1",
                         agency="SIRENE", roles=["sirene_operator"])
        token = auth.issue_token(s, actor, "sara.sirene", name="t")
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "national copy"}
    line = json.dumps({"schengen_id": "DE5000000000001", "issuing_country": "DE", "category": "firearm",
                       "data": {"serial_number": "A1", "make": "Glock", "calibre": "9x19mm",
                                "purpose": "seizure", "reason": "stolen", "issuing_authority": "BKA"}})
    r = client.post("/api/v1/alerts/import", content=(line + "\nnot json\n").encode(), headers=headers)
    assert r.status_code == 200
    assert r.json()["imported"] == 1 and r.json()["rejections"][0]["line"] == 2
    monkeypatch.setenv("GRANICA_MAX_UPLOAD_BYTES", "100")
    get_settings.cache_clear()
    try:
        r = client.post("/api/v1/alerts/import", content=(line + "\n").encode() * 3, headers=headers)
        assert r.status_code == 413
    finally:
        monkeypatch.delenv("GRANICA_MAX_UPLOAD_BYTES")
        get_settings.cache_clear()
