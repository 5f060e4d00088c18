"""The national fingerprint database's JSON API on SQLite and PostgreSQL, with FVC2002 DB1_B
prints: enrolment (JSON with base64 images, and multipart), a second enrolment finding the
first, the expert's queue, comparison, image and decision, the hits, the subject and its
lifecycle, retention, transmission deadlines and statistics (JSON and CSV); bad input is
answered with a 4xx naming what is wrong."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from granica import clock
from granica.asylum.gallery import forget_galleries
from granica.audit.models import AuditEntry
from granica.auth.principal import system_principal
from granica.storage import Database
from tests.asylum.test_asylum_service import T0, _folder
from tests.web.conftest import _cheap_password_hashing  # noqa: F401

pytestmark = pytest.mark.db

USERS = {
    "officer": ("stefan.asylum", "asylum_officer"),
    "expert": ("dragana.expert", "fingerprint_expert"),
    "expert2": ("ivan.expert", "fingerprint_expert"),
    "guard": ("luka.granica", "border_guard"),
}
API = "/api/v1/asylum"


@pytest.fixture
def api(database: Database) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Database]]:
    from granica.api.app import create_app
    from granica.auth import service as auth

    forget_galleries()
    clock.freeze(T0)
    actor = system_principal("test set-up")
    with database.session() as s:
        for name, role in USERS.values():
            agency = "BORDER_POLICE" if role == "border_guard" else "ASYLUM_OFFICE"
            auth.create_user(s, actor, username=name, password="Asylum-Lantern-Word-31",
                             agency=agency, roles=[role])
    headers = {key: bearer(database, name) for key, (name, _) in USERS.items()}
    with TestClient(create_app(database), follow_redirects=False) as client:
        yield client, headers, database
    clock.reset()


def bearer(db: Database, username: str) -> dict[str, str]:
    from granica.auth import service as auth

    with db.session() as s:
        token = auth.issue_token(s, system_principal("test set-up"), username, name="again")
    return {"Authorization": f"Bearer {token}"}


def image(finger: int, impression: int) -> bytes:
    return (_folder() / f"{finger}_{impression}.tif").read_bytes()


def prints_json(fingers: list[int], impression: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"position": i + 1, "image_base64": base64.b64encode(image(f, impression)).decode()}
        for i, f in enumerate(fingers)]
    out += [{"position": p, "missing_reason": "bandaged"} for p in range(len(fingers) + 1, 11)]
    return out


def body(fingers: list[int], impression: int, **kw: Any) -> dict[str, Any]:
    return {"category": "applicant", "surname": "Test", "given_names": "Subject",
            "nationalities": ["AFG"], "date_of_birth": "1990-01-01", "sex": "M",
            "prints": prints_json(fingers, impression), **kw}


def test_asylum_api_enrol_search_verify_hit(
        api: tuple[TestClient, dict[str, dict[str, str]], Database]) -> None:
    client, h, db = api
    r = client.post(f"{API}/enrolments", headers=h["officer"], json=body([101, 102], 1))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["reference"].startswith("RS1") and first["candidates"] == []
    assert first["transmission_due"].startswith("2026-03-05T09:00")
    r = client.post(f"{API}/enrolments", headers=h["officer"], json=body([101, 102], 2))
    assert r.status_code == 201, r.text
    again = r.json()
    [cand] = again["candidates"]
    assert cand["state"] == "pending"
    # the expert's side
    assert client.get(f"{API}/queue", headers=h["officer"]).status_code == 403
    queue = client.get(f"{API}/queue", headers=h["expert"]).json()
    assert [q["candidate"] for q in queue] == [cand["candidate"]]
    view = client.get(f"{API}/candidates/{cand['candidate']}/comparison", headers=h["expert"])
    assert view.status_code == 200
    fingers = view.json()["fingers"]
    assert len(fingers) == 2 and all(f["pairs"] for f in fingers)
    fid = fingers[0]["candidate"]["finger"]
    original = client.get(f"{API}/fingers/{fid}/image", headers=h["expert"])
    assert original.status_code == 200 and original.content == image(101, 1)
    png = client.get(f"{API}/fingers/{fid}/image?format=png", headers=h["expert"])
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    hits = client.get(f"{API}/searches/{again['search']}/hits", headers=h["officer"]).json()
    assert [x["hit"] for x in hits] == [False]
    r = client.post(f"{API}/candidates/{cand['candidate']}/decision", headers=h["expert"],
                    json={"decision": "confirmed", "reason": "ridge detail agrees on 2 fingers"})
    assert r.status_code == 200 and r.json()["hit"] is True
    r = client.post(f"{API}/candidates/{cand['candidate']}/decision", headers=h["expert2"],
                    json={"decision": "rejected", "reason": "second look"})
    assert r.status_code == 409 and "already decided" in r.json()["message"]
    hits = client.get(f"{API}/searches/{again['search']}/hits", headers=h["officer"]).json()
    assert hits == [{**hits[0], "hit": True, "reference": first["reference"]}]
    with db.session() as s:
        actions = set(s.scalars(sa.select(AuditEntry.action)))
    assert {"asylum.enrol", "asylum.compare", "asylum.image", "asylum.decide",
            "asylum.hit"} <= actions
    # a police search with its purpose and case
    r = client.post(f"{API}/searches", headers=h["expert"], json={
        "purpose": "identify a person found without documents", "case_reference": "KU-1/26",
        "prints": prints_json([101], 3)[:1]})
    assert r.status_code == 201, r.text
    assert r.json()["candidates"] and r.json()["kind"] == "request"
    # statistics: this month, applicants
    stats = client.get(f"{API}/statistics", headers=h["officer"]).json()
    row = next(x for x in stats["rows"] if x["category"] == "applicant")
    assert (row["month"], row["enrolments"], row["hits"]) == ("2026-03", 2, 1)
    assert stats["totals"]["searches"] == 3
    csv_text = client.get(f"{API}/statistics.csv", headers=h["officer"]).text
    assert csv_text.splitlines()[0].startswith("month,category,enrolments,searches")
    assert "2026-03,applicant,2,2,1,1,0,0,," in csv_text
    r = client.get(f"{API}/statistics?since=2026-04-01&until=2026-03-01", headers=h["officer"])
    assert r.status_code == 422 and "after" in r.json()["message"]


def test_asylum_api_subject_lifecycle_retention_and_deadlines(
        api: tuple[TestClient, dict[str, dict[str, str]], Database]) -> None:
    client, h, db = api
    crosser = client.post(f"{API}/enrolments", headers=h["officer"],
                          json=body([101], 1, category="irregular_crosser")).json()
    ref = client.post(f"{API}/enrolments", headers=h["officer"],
                      json=body([102], 1)).json()["reference"]
    r = client.post(f"{API}/subjects/{ref}/corrections", headers=h["officer"],
                    json={"field": "date_of_birth", "value": "1991-02-03",
                          "reason": "document presented"})
    assert r.status_code == 200, r.text
    r = client.post(f"{API}/subjects/{ref}/corrections", headers=h["officer"],
                    json={"field": "date_of_birth", "value": "3 Feb", "reason": "document"})
    assert r.status_code == 422 and "not a date" in r.json()["message"]
    assert client.post(f"{API}/subjects/{ref}/mark", headers=h["officer"],
                       json={"reason": "protection granted"}).json()["marked_at"]
    view = client.get(f"{API}/subjects/{ref}", headers=h["officer"]).json()
    assert view["date_of_birth"] == "1991-02-03" and view["corrections"][0]["old"] == "1990-01-01"
    assert client.get(f"{API}/subjects/RS19999999999", headers=h["officer"]).status_code == 404
    assert client.get(f"{API}/subjects/{ref}", headers=h["guard"]).status_code == 403
    due = client.get(f"{API}/transmissions?warn_hours=100", headers=h["officer"]).json()
    assert {d["reference"] for d in due} == {ref, crosser["reference"]}
    clock.freeze(T0 + dt.timedelta(days=5 * 366))
    h["officer"] = bearer(db, USERS["officer"][0])  # the first token has expired
    r = client.post(f"{API}/retention", headers=h["officer"], json={"dry_run": True})
    assert r.status_code == 200, r.text
    assert [x["reference"] for x in r.json()["subjects"]] == [crosser["reference"]]
    r = client.post(f"{API}/retention", headers=h["officer"], json={"dry_run": False})
    assert client.get(f"{API}/subjects/{crosser['reference']}",
                      headers=h["officer"]).json()["state"] == "erased"
    r = client.post(f"{API}/subjects/{ref}/block", headers=h["officer"], json={"reason": "court"})
    assert r.json()["state"] == "blocked"
    r = client.post(f"{API}/subjects/{ref}/erase", headers=h["officer"],
                    json={"reason": "became a citizen"})
    assert r.json()["state"] == "erased"
    r = client.post(f"{API}/subjects/{ref}/mark", headers=h["officer"], json={"reason": "again"})
    assert r.status_code == 409 and "erased" in r.json()["message"]


def test_asylum_api_multipart_enrolment(
        api: tuple[TestClient, dict[str, dict[str, str]], Database]) -> None:
    client, h, _ = api
    missing = ",".join(f"{p}:bandaged" for p in range(3, 11))
    r = client.post(f"{API}/enrolments/upload", headers=h["officer"],
                    data={"category": "applicant", "positions": "1,2", "missing": missing,
                          "biographic": '{"surname": "Upload", "date_of_birth": "1990-01-01"}'},
                    files=[("images", ("101_1.tif", image(101, 1), "image/tiff")),
                           ("images", ("102_1.tif", image(102, 1), "image/tiff"))])
    assert r.status_code == 201, r.text
    assert r.json()["reference"].startswith("RS1")
    r = client.post(f"{API}/enrolments/upload", headers=h["officer"],
                    data={"category": "applicant", "positions": "1", "missing": missing,
                          "biographic": '{"sex": "Q"}'},
                    files=[("images", ("101_1.tif", image(101, 1), "image/tiff"))])
    assert r.status_code == 422 and r.json()["field"] == "biographic.sex"
    r = client.post(f"{API}/enrolments/upload", headers=h["officer"],
                    data={"category": "applicant", "positions": "1,2", "missing": missing},
                    files=[("images", ("101_1.tif", image(101, 1), "image/tiff"))])
    assert r.status_code == 422 and "one position per image" in r.json()["message"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_asylum_api_bad_input_is_named(
        api: tuple[TestClient, dict[str, dict[str, str]], Database]) -> None:
    client, h, db = api

    def enrol(payload: dict[str, Any]) -> Any:
        return client.post(f"{API}/enrolments", headers=h["officer"], json=payload)

    bad = body([101], 1)
    bad["prints"][0]["image_base64"] = "not base64!"
    r = enrol(bad)
    assert r.status_code == 400 and r.json()["field"] == "prints[0]"
    assert "not valid base64" in r.json()["message"]
    bad["prints"][0]["image_base64"] = base64.b64encode(b"II*\x00" + b"\x00" * 200).decode()
    r = enrol(bad)
    assert r.status_code == 400 and "finger 1" in r.json()["message"]
    bad["prints"][0]["image_base64"] = base64.b64encode(bytes(600 * 600)).decode()
    r = enrol(bad)
    assert r.status_code in (400, 422) and "finger 1" in r.json()["message"]
    bad["prints"][0]["image_base64"] = base64.b64encode(b"\x00" * (10 * 1024 * 1024 + 1)).decode()
    r = enrol(bad)
    assert r.status_code == 422 and "over the 10485760 byte limit" in r.json()["message"]
    r = enrol(body([101], 1, category="tourist"))
    assert r.status_code == 422 and "unknown category 'tourist'" in r.json()["message"]
    r = enrol(body([101], 1, date_of_birth="1990-13-01"))
    assert r.status_code == 422 and r.json()["field"] == "date_of_birth"
    r = enrol(body([101], 1, registered_at="2026-03-02T08:00:00"))
    assert r.status_code == 422 and "no offset" in r.json()["message"]
    r = enrol(body([101], 1, date_of_birth="2022-01-01"))
    assert r.status_code == 422 and r.json()["error"] == "below_minimum_age"
    short = body([101], 1)
    short["prints"] = short["prints"][:4]
    r = enrol(short)
    assert r.status_code == 422 and "fingers 5, 6, 7, 8, 9, 10" in r.json()["message"]
    r = client.post(f"{API}/enrolments", headers=h["guard"], json=bad)
    assert r.status_code == 403  # the permission before the input's checks
    r = client.get(f"{API}/fingers/nope/image", headers=h["expert"])
    assert r.status_code == 404
    r = client.post(f"{API}/searches", headers=h["expert"], json={
        "purpose": "why", "case_reference": "K", "prints": prints_json([101], 2)[:1]})
    assert r.status_code == 422 and r.json()["field"] == "purpose"
    with db.session() as s:
        assert s.scalar(sa.text("select count(*) from asylum_subject")) == 0
