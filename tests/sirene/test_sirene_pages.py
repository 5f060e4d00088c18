"""The SIRENE workbench's pages and API: the operator sees the duty board, opens a case,
answers a form in the editor (a missing field is named and nothing is sent), the guard sees
only the progress of the hit's case; every message of the pages in both Serbian scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from granica.auth.principal import system_principal
from granica.sirene import service
from granica.sirene.forms import catalogue
from granica.storage import Database
from tests.sirene.conftest import HU_ARREST, RS_MISSING, form_body, receive, signed
from tests.web.conftest import _cheap_password_hashing, csrf_of, login  # noqa: F401
from tests.web.translation_checks import assert_in_both_scripts, template_message_ids

pytestmark = pytest.mark.db

USERS = {
    "operator": ("mira.sirene", "Sirene-Lantern-Word-21", "SIRENE", ["sirene_operator"]),
    "guard": ("luka.granica", "Guard-Lantern-Word-22", "BORDER_POLICE", ["border_guard"]),
}
# Latin-script tokens a Cyrillic message keeps: placeholders, codes and the form letters.
KEPT_LATIN = re.compile(r"%\(\w+\)s|\b(?:SIRENE|EAW|UTC|CISA|ST001|PDF|CSV|URGENT|N|O|P|MB|"
                        r"EU|[A-Z])\b")


@pytest.fixture
def app(sirene_db: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from granica.api.app import create_app
    from granica.auth import service as auth

    tokens = {}
    actor = system_principal("test set-up")
    with sirene_db.session() as s:
        for key, (name, password, agency, roles) in USERS.items():
            auth.create_user(s, actor, username=name, password=password, agency=agency,
                             roles=roles)
            tokens[key] = auth.issue_token(s, actor, name, name=f"{key} client")
    with TestClient(create_app(sirene_db), follow_redirects=False) as client:
        yield client, tokens


def test_sirene_pages_duty_board_case_and_form_editor(
        app: tuple[TestClient, dict[str, str]], sirene_db: Database,
        peer_keys: dict[str, Ed25519PrivateKey]) -> None:
    client, tokens = app
    g = form_body("G", "HR-F-2026-000011", {
        "surname": "Petrović", "hit_time": "2026-12-07T08:40", "hit_place": "Bajakovo",
        "circumstances": "found at the border", "action_taken": "whereabouts recorded"},
        schengen_id=RS_MISSING)
    assert receive(sirene_db, signed(peer_keys["HR"], "HR", "HR-C-2026-000005", 1, g)) == \
        ["accepted"]
    login(client, *USERS["operator"][:2])
    board = client.get("/sirene")
    assert board.status_code == 200
    assert "HR-F-2026-000011" in board.text and 'id="count-due">1<' in board.text
    case_ref = re.search(r'href="/sirene/cases/(RS-C-\d{4}-\d{6})"', board.text).group(1)  # type: ignore[union-attr]
    page = client.get(f"/sirene/cases/{case_ref}?form=M&reply_to=HR-F-2026-000011")
    assert page.status_code == 200 and 'id="form-editor"' in page.text
    path = f"/sirene/cases/{case_ref}/send"
    token = csrf_of(client, f"/sirene/cases/{case_ref}")
    bad = client.post(path, data={"csrf_token": token, "form": "M",
                                  "reply_to": "HR-F-2026-000011"})
    assert bad.status_code == 422 and "fill in the mandatory field 083" in bad.text
    assert 'aria-invalid="true"' in bad.text
    sent = client.post(path, data={"csrf_token": token, "form": "M",
                                   "reply_to": "HR-F-2026-000011",
                                   "f_text": "Issuing authority informed"},
                       files=[("attachments", ("note.txt", b"a note", "text/plain"))])
    assert sent.status_code == 303, sent.text
    view = client.get(sent.headers["location"])
    assert "Form sent" in view.text and "note.txt" in view.text
    pdf = client.get(f"/sirene/cases/{case_ref}/forms/HR-F-2026-000011/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/sirene/cases/{case_ref}/forms/HR-F-1/pdf").status_code == 404
    assert client.get("/sirene").text.count('id="count-due">0<') == 1
    path = f"/sirene/cases/{case_ref}/task"
    token = csrf_of(client, f"/sirene/cases/{case_ref}")
    bad = client.post(path, data={"csrf_token": token, "text": "ask", "due_at": "tomorrow"})
    assert bad.status_code == 422 and "is not a date and time" in bad.text
    made = client.post(path, data={"csrf_token": token, "text": "ask the police in Novi Sad",
                                   "due_at": "2026-12-24T10:00", "assign_to": "mira.sirene"})
    assert made.status_code == 303
    board_text = client.get("/sirene").text
    assert "ask the police in Novi Sad" in board_text and "2026-12-24 10:00 CET" in board_text
    found = client.get("/sirene/cases?text=bajakovo")
    assert case_ref in found.text
    stats = client.get("/sirene/statistics")
    assert stats.status_code == 200 and "<svg" in stats.text and 'id="within">1<' in stats.text
    api = {"Authorization": f"Bearer {tokens['operator']}"}
    csv_text = client.get("/api/v1/sirene/statistics.csv", headers=api).text
    assert "in,G,HR,1" in csv_text and "out,M,HR,1" in csv_text
    r = client.post(f"/api/v1/sirene/cases/{case_ref}/forms", headers=api,
                    json={"form": "M", "fields": {"text": "x"},
                          "attachments": [{"name": "a.pdf", "content_base64": "%%%"}]})
    assert r.status_code == 422 and "not base64" in r.json()["message"]
    r = client.get("/api/v1/sirene/duty", headers={"Authorization": f"Bearer {tokens['guard']}"})
    assert r.status_code == 403


def test_sirene_guard_sees_the_progress_of_the_hits_case(
        app: tuple[TestClient, dict[str, str]], sirene_db: Database) -> None:
    client, tokens = app
    guard = {"Authorization": f"Bearer {tokens['guard']}"}
    r = client.post(f"/api/v1/alerts/{HU_ARREST}/hits", headers=guard,
                    json={"context": {"place": "Horgoš", "circumstances": "exit check"}})
    assert r.status_code == 201, r.text
    report = r.json()["hit_report_id"]
    missing = client.get(f"/api/v1/sirene/hits/{report}", headers=guard)
    assert missing.status_code == 404 and "taken up" in missing.json()["message"]
    with sirene_db.session() as s:
        assert service.take_hits(s, system_principal(service.INBOX)) == {"sent": 1}
    r = client.get(f"/api/v1/sirene/hits/{report}", headers=guard)
    assert r.status_code == 200
    [g] = r.json()["messages"]
    assert g["form"] == "G" and g["fields"] == {} and g["delivery"] == "pending"
    login(client, *USERS["guard"][:2])
    page = client.get(f"/sirene/hits/{report}")
    assert page.status_code == 200 and "exit check" not in page.text and ">G<" not in page.text
    assert client.get("/sirene").status_code == 403


def page_message_ids() -> set[str]:
    from granica.sirene import pages

    ids = template_message_ids("sirene", pages.NAV_ITEMS)
    ids.update(pages.STATE_LABELS.values())
    ids.update(pages.LEVEL_LABELS.values())
    ids.update(("sent", "received", "pending", "delivered", "refused",
                "Forms sent and received, by form",
                "There is no such form; choose one from the list."))
    cat = catalogue()
    for spec in cat.forms.values():
        ids.add(spec.title)
        ids.update(f.label for f in spec.fields)
    ids.update(h.label for h in cat.header if not h.automatic)
    return {i for i in ids if i}


def test_sirene_every_page_message_is_in_both_serbian_scripts() -> None:
    ids = page_message_ids()
    assert len(ids) > 100
    assert_in_both_scripts(ids, KEPT_LATIN)


def test_sirene_pages_in_serbian(app: tuple[TestClient, dict[str, str]], sirene_db: Any) -> None:
    client, _ = app
    login(client, *USERS["operator"][:2])
    for language, title in (("sr-Latn", "Dežurna tabla SIRENE"), ("sr-Cyrl", "Дежурна табла SIRENE")):
        r = client.post("/language", data={"language": language, "next": "/",
                                           "csrf_token": csrf_of(client, "/")})
        assert r.status_code == 303
        assert title in client.get("/sirene").text
