"""The agencies' pages and API: a customs officer records a seizure in the form, the guard
sees the notice, the analyst's report shows it in a chart; all in both Serbian scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import cyrtranslit
import pytest
from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient

from granica.storage import Database
from granica.web.i18n import PACKAGE_ROOT, translations
from tests.cooperation.conftest import BCP
from tests.web.conftest import csrf_of, login

pytestmark = pytest.mark.db

USERS = {
    "customs": ("mila.carina", "Customs-Lantern-Word-11", "CUSTOMS", ["customs_officer"]),
    "guard": ("luka.granica", "Guard-Lantern-Word-12", "BORDER_POLICE", ["border_guard"]),
    "analyst": ("ana.analiza", "Analyst-Lantern-Word-13", "RISK_ANALYSIS", ["risk_analyst"]),
    "vet": ("vera.vet", "Vet-Lantern-Word-14", "VETERINARY", ["inspector"]),
}
SAME_IN_SERBIAN = {"Incident"}


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher, Type

    from granica.auth import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@pytest.fixture
def app(coop_db: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from granica.api.app import create_app
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    tokens = {}
    actor = system_principal("test set-up")
    with coop_db.session() as s:
        for key, (name, password, agency, roles) in USERS.items():
            auth.create_user(s, actor, username=name, password=password, agency=agency,
                             roles=roles, station=BCP if agency == "BORDER_POLICE" else None)
            tokens[key] = auth.issue_token(s, actor, name, name=f"{key} client")
    with TestClient(create_app(coop_db), follow_redirects=False) as client:
        yield client, tokens


def _form(client: TestClient, path: str, data: dict[str, str]) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_of(client, path)})


def test_cooperation_pages_from_seizure_form_to_the_report_chart(
        app: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = app
    guard = {"Authorization": f"Bearer {tokens['guard']}"}
    sub = client.post("/api/v1/cooperation/subscriptions", headers=guard,
                      json={"kind": "vehicle", "value": "BG 1234 AB", "urgent": True, "bcp": BCP})
    assert sub.status_code == 201, sub.text
    login(client, *USERS["customs"][:2])
    page = client.get("/cooperation/new/seizure")
    assert page.status_code == 200 and 'name="quantity"' in page.text
    bad = _form(client, "/cooperation/new/seizure", {
        "occurred_at": "2026-11-14T09:15", "bcp": BCP, "category": "cigarettes",
        "quantity": "-1"})
    assert bad.status_code == 422 and "greater than 0" in bad.text  # type: ignore[attr-defined]
    made = _form(client, "/cooperation/new/seizure", {
        "occurred_at": "2026-11-14T09:15", "bcp": BCP, "category": "cigarettes",
        "quantity": "120000", "hs_code": "240220", "vehicle_plate": "BG 1234 AB",
        "carrier": "Trans Balkan d.o.o.", "origin": "TR", "destination": "DE",
        "transport_mode": "lorry", "notify_shift": "1"})
    assert made.status_code == 303, made.text  # type: ignore[attr-defined]
    record = client.get(made.headers["location"])  # type: ignore[attr-defined]
    assert "SZ-RS-2026-" in record.text and "120000 pieces cigarettes" in record.text
    notices = client.get("/api/v1/cooperation/notifications", headers=guard)
    assert notices.status_code == 200
    # one notice from the subscription, one urgent notice to the shift at the crossing point
    assert [n["urgent"] for n in notices.json()] == [True, True]
    assert any("vehicle BG 1234 AB" in n["message"] for n in notices.json())
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    login(client, *USERS["analyst"][:2])
    report = client.get("/analysis?month=2026-11")
    assert report.status_code == 200
    assert "<svg" in report.text and "Cigarettes" in report.text
    csv_text = client.get("/api/v1/analysis/report.csv?month=2026-11",
                          headers={"Authorization": f"Bearer {tokens['analyst']}"}).text
    assert "seizures,cigarettes,Cigarettes,seizures,1" in csv_text
    pdf = client.get("/api/v1/analysis/report.pdf?month=2026-11",
                     headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert pdf.content.startswith(b"%PDF")
    vet = client.get("/api/v1/cooperation/records",
                     headers={"Authorization": f"Bearer {tokens['vet']}"})
    assert vet.json()["total"] == 0  # seizures are not shared with the veterinary inspection


def test_api_bad_input_is_a_named_error(app: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = app
    customs = {"Authorization": f"Bearer {tokens['customs']}"}
    r = client.post("/api/v1/cooperation/records/seizure", headers=customs,
                    json={"occurred_at": "2026-11-14T08:00:00Z", "goods": [
                        {"category": "weapons", "quantity": 3}]})
    assert r.status_code == 422 and "needs serials" in r.json()["message"]
    r = client.get("/api/v1/analysis/report?month=2026-13",
                   headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert r.status_code == 422
    r = client.get("/api/v1/analysis/report?month=2026-11", headers=customs)
    assert r.status_code == 403 and "analysis.read" in r.json()["message"]


def _page_message_ids() -> set[str]:
    import granica.analysis.pages as ap
    import granica.cooperation.pages as cp
    from granica.cooperation.codelists import codelists

    ids: set[str] = set()
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
    for pkg in ("cooperation", "analysis"):
        for _f, _l, message, _c, _x in extract_from_dir(
                str(PACKAGE_ROOT / pkg / "templates"), [("**.html", "jinja2")], options):
            ids.update(message if isinstance(message, tuple) else (message,))
    for item in (*cp.NAV_ITEMS, *ap.NAV_ITEMS):
        ids.update((item.label, item.description))
    lists = codelists()
    ids.update(cp.KIND_LABELS.values())
    ids.update(cp.SUBSCRIPTION_KINDS.values())
    ids.update(g.label for g in lists.goods.values())
    ids.update(lists.incident_types.values())
    ids.update(lists.transport_modes.values())
    ids.update(lists.ched["types"].values())
    ids.update(lists.fran.values())
    for name in ("checks", "decisions", "not_acceptable_actions", "refusal_reasons"):
        ids.update(lists.ched[name])
    ids.update(lists.incident["impact_levels"])
    return {i for i in ids if i}


def test_every_cooperation_message_is_in_both_serbian_scripts() -> None:
    latin, cyrillic = translations("sr-Latn"), translations("sr-Cyrl")
    ids = _page_message_ids()
    assert len(ids) > 150
    for msg in sorted(ids):
        lat, cyr = latin.gettext(msg), cyrillic.gettext(msg)
        assert lat != msg or msg in SAME_IN_SERBIAN, f"sr-Latn: '{msg}' is not translated"
        assert cyr != msg or msg in SAME_IN_SERBIAN, f"sr-Cyrl: '{msg}' is not translated"
        kept = re.sub(r"\b(?:CHED|CITES|EUROSUR|FRAN|CIRAM|CSV|PDF|HS|UN|EU|KN)\b", "", cyr)
        assert not re.search(r"[A-Za-z]", kept), f"Latin letters in Cyrillic: {cyr!r}"
        assert cyrtranslit.to_latin(cyr, "sr") == lat, (msg, lat, cyr)


def test_the_pages_show_serbian_in_both_scripts(app: tuple[TestClient, dict[str, str]]) -> None:
    client, _tokens = app
    login(client, *USERS["customs"][:2])
    for lang, word in (("sr-Latn", "Zaplena"), ("sr-Cyrl", "Заплена")):
        client.post("/language", data={"language": lang, "next": "/",
                                       "csrf_token": csrf_of(client, "/")})
        for path in ("/cooperation", "/cooperation/new/seizure", "/cooperation/new/inspection",
                     "/cooperation/new/incident", "/cooperation/subscriptions",
                     "/cooperation/profiles"):
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:300])
            assert word in page.text or path != "/cooperation/new/seizure", path
            for english in ("Cigarettes", "Means of transport", "Subscriptions", "Risk profiles"):
                assert f">{english}<" not in page.text, (lang, path, english)
