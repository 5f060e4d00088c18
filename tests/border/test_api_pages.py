"""The kiosk API (bearer token, one call) and the guard's lane pages, through the real app."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from granica.border import service
from granica.storage import Database
from tests.border.conftest import BCP, SUPERVISOR, enter_alert, future_expiry, td3
from tests.web.conftest import GUARD, Seeded, csrf_of, login, seed_users


@pytest.fixture
def app_client(border_db: Database) -> Iterator[tuple[TestClient, Seeded]]:
    from granica.api.app import create_app

    seeded = seed_users(border_db)
    with TestClient(create_app(border_db), follow_redirects=False) as c:
        yield c, seeded


def test_kiosk_gets_the_decision_in_one_call(app_client: tuple[TestClient, Seeded]) -> None:
    client, seeded = app_client
    mrz = td3("SMITH", "JOHN", "X1234567", "USA", "850101", future_expiry())
    headers = {"Authorization": f"Bearer {seeded.token}", "X-Purpose": "e-gate 7"}
    r = client.post("/api/v1/border/checks", json={"bcp": BCP, "lane": "EG7", "mrz": mrz},
                    headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "go" and body["complete"] is True
    r = client.get(f"/api/v1/border/checks/{body['check_id']}", headers=headers)
    assert r.status_code == 200 and r.json()["decision"] == "go"
    bad = client.post("/api/v1/border/checks", json={"bcp": BCP, "mrz": "P<GARBAGE"},
                      headers=headers)
    assert bad.status_code == 200 and bad.json()["decision"] == "refer"
    assert client.post("/api/v1/border/checks", json={"bcp": BCP, "mrz": mrz}).status_code == 401
    # a guard is not a supervisor: the queue is refused
    assert client.get("/api/v1/border/queue", headers=headers).status_code == 403


def test_guard_lane_page_go_then_hit(app_client: tuple[TestClient, Seeded]) -> None:
    client, seeded = app_client
    enter_alert(seeded.database, "arrest", {
        "surname": "Јовановић", "forenames": "Милош", "sex": "M", "date_of_birth": "1979-11-02",
        "warning_markers": ["violent"], "reason": "murder", "issuing_authority": "Court",
        "warrant_reference": "K-9/2026"})
    login(client, *GUARD, next_url="/border/lane")
    page = client.get("/border/lane")
    assert page.status_code == 200 and 'id="mrz"' in page.text and "autofocus" in page.text
    token = csrf_of(client, "/border/lane")
    clean = td3("SMITH", "JOHN", "X1234567", "USA", "850101", future_expiry())
    r = client.post("/border/lane", data={"csrf_token": token, "bcp": BCP, "lane": "E1",
                                          "direction": "entry", "mrz": clean + "\n"})
    assert r.status_code == 200 and 'data-decision="go"' in r.text
    wanted = td3("JOVANOVIC", "MILOS", "011122233", "SRB", "791102", future_expiry())
    r = client.post("/border/lane", data={"csrf_token": token, "bcp": BCP, "lane": "E1",
                                          "direction": "entry", "mrz": wanted})
    assert 'data-decision="hit"' in r.text
    assert "Arrest the person" in r.text
    assert 'class="warnings" role="alert">Warning: VIOLENT<' in r.text
    assert r.text.index('class="warnings"') < r.text.index("Arrest the person")
    assert "/border/refusals/new?check_id=" in r.text


def test_supervisor_queue_page(app_client: tuple[TestClient, Seeded]) -> None:
    client, seeded = app_client
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    with seeded.database.session() as s:
        auth.create_user(s, system_principal("set-up"), username="sara.super",
                         password="Quiet-Harbour-Lamp-19", agency="BORDER_POLICE",
                         roles=["border_supervisor"])
    headers = {"Authorization": f"Bearer {seeded.token}"}
    client.post("/api/v1/border/checks", json={"bcp": BCP}, headers=headers)  # no document
    login(client, "sara.super", "Quiet-Harbour-Lamp-19")
    page = client.get(f"/border/queue?bcp={BCP}")
    assert page.status_code == 200
    assert "REFER" in page.text and "No travel document" in page.text
    assert SUPERVISOR.can("border.supervise")


def test_refusal_through_the_page_and_its_pdf(app_client: tuple[TestClient, Seeded]) -> None:
    client, seeded = app_client
    headers = {"Authorization": f"Bearer {seeded.token}"}
    late = td3("NOVAK", "ANA", "N7654321", "UKR", "900215", "270101", sex="F")
    body = client.post("/api/v1/border/checks", headers=headers, json={
        "bcp": BCP, "mrz": late, "intended_exit": "2026-12-30"}).json()
    assert body["decision"] == "refer"
    login(client, *GUARD)
    form = client.get(f"/border/refusals/new?check_id={body['check_id']}")
    assert form.status_code == 200 and 'value="F"' in form.text
    # the particulars come from the configuration: a field per letter that asks for them
    fields = set(re.findall(r'name="detail_([A-Z])"', form.text))
    assert fields == set(service.refusal_particulars()) == {"E", "H", "I"}
    assert '<option value="national">' in form.text
    token = csrf_of(client, f"/border/refusals/new?check_id={body['check_id']}")
    r = client.post("/border/refusals", data={
        "csrf_token": token, "check_id": body["check_id"], "bcp": BCP, "reasons": ["A", "E"],
        "detail_E": "no return ticket", "language": "sr-Cyrl"})
    assert r.status_code == 303, r.text
    done = client.get(r.headers["location"])
    pdf_link = re.search(r'href="(/border/refusals/[^"]+/pdf)"', done.text)
    assert pdf_link is not None
    pdf = client.get(pdf_link.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # nothing ticked: the form says what is missing
    r = client.post("/border/refusals", data={"csrf_token": token, "bcp": BCP,
                                              "check_id": body["check_id"]})
    assert r.status_code == 422 and "reason" in r.text


def test_lane_refuses_a_user_without_the_permission(app_client: tuple[TestClient, Seeded]) -> None:
    from tests.web.conftest import ADMIN

    client, _ = app_client
    login(client, *ADMIN)
    token = csrf_of(client, "/border/lane")
    r = client.post("/border/lane", data={"csrf_token": token, "bcp": BCP, "mrz": "P<"})
    assert r.status_code == 403
    assert 'data-decision' not in r.text
