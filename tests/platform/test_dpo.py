"""The Data Protection Officer's subject report and export, with withholding and its reasons."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.audit.models import AuditEntry
from granica.audit.service import record
from granica.audit.verify import verify
from granica.auth.principal import Principal
from granica.dpo import registry
from granica.dpo.registry import SubjectQuery
from granica.dpo.service import WITHHOLD_REASONS, export_for_subject, subject_report
from granica.errors import PermissionDenied, ValidationError
from granica.storage import Database

DPO = Principal(user_id="u-dpo", username="dpo1", agency="DPO", roles=frozenset({"dpo"}),
                permissions=frozenset({"audit.read", "audit.verify", "dpo.subject_access"}))
GUARD = Principal(user_id="u-g", username="guard1", agency="BORDER_POLICE",
                  roles=frozenset({"border_guard"}), permissions=frozenset({"border.check"}))


def _alerts(session: Session, query: SubjectQuery) -> list[dict[str, Any]]:
    if (query.surname or "").lower() != "petrović":
        return []
    return [
        {"record_type": "alert", "record_id": "al-refusal", "summary": "refusal of entry",
         "data": {"category": "refusal_of_entry", "surname": "PETROVIĆ"}},
        {"record_type": "alert", "record_id": "al-discreet", "summary": "discreet check",
         "data": {"category": "discreet_check"}, "withhold": "discreet_check"},
        {"record_type": "alert", "record_id": "al-case", "summary": "wanted for questioning",
         "data": {"category": "judicial_procedure"}},
    ]


def _checks(session: Session, query: SubjectQuery) -> list[dict[str, Any]]:
    if (query.surname or "").lower() != "petrović":
        return []
    return [{"record_type": "border_check", "record_id": "chk-1", "summary": "entry at Batrovci",
             "data": {"at": "2026-02-01"}, "subject_ids": ["person-77"]}]


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_providers", {})
    monkeypatch.setattr(registry, "_loaded", True)
    registry.register("sis", _alerts)
    registry.register("border", _checks)


def _accesses(db: Database) -> None:
    with db.session() as s:
        for sid in ("al-refusal", "al-discreet", "al-case", "person-77", "al-other"):
            record(s, GUARD, "alerts.read", purpose="border check", subject_type="alert",
                   subject_ids=[sid])


QUERY = SubjectQuery(surname="Petrović", given_names="Marko", date_of_birth=dt.date(1980, 5, 2))


@pytest.mark.acceptance
def test_subject_report_lists_records_and_accesses(database: Database, providers: None) -> None:
    _accesses(database)
    with database.session() as s:
        report = subject_report(s, DPO, QUERY, purpose="request 2026/14")
    ids = {r["record_id"] for r in report.records}
    assert ids == {"al-refusal", "al-discreet", "al-case", "chk-1"}
    assert {r["domain"] for r in report.records} == {"sis", "border"}
    touched = {sid for a in report.accesses for sid in a["subject_ids"]}
    assert touched == {"al-refusal", "al-discreet", "al-case", "person-77"}
    with database.session() as s:
        last = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None and last.action == "dpo.subject_report" and last.username == "dpo1"
    assert "al-discreet" in last.subject_ids


@pytest.mark.acceptance
def test_export_withholds_with_reasons(database: Database, providers: None) -> None:
    _accesses(database)
    with database.session() as s:
        export = export_for_subject(s, DPO, QUERY, purpose="request 2026/14",
                                    request_reference="DSR-2026-14",
                                    withhold={"al-case": "ongoing_investigation"})
    text = export.to_json()
    doc = json.loads(text)
    assert {r["record_id"] for r in doc["records"]} == {"al-refusal", "chk-1"}
    # neither the withheld records nor the accesses to them leave a trace in the document
    assert "al-discreet" not in text and "al-case" not in text and "discreet" not in text
    assert len(doc["accesses"]) == 2 and all("username" not in a for a in doc["accesses"])
    assert doc["request_reference"] == "DSR-2026-14"
    reasons = {w["record_id"]: w["reason"] for w in export.withheld}
    assert reasons == {"al-discreet": "discreet_check", "al-case": "ongoing_investigation"}
    assert all(w["reason_text"] == WITHHOLD_REASONS[w["reason"]] for w in export.withheld)
    with database.session() as s:
        row = s.get(AuditEntry, export.audit_seq)
    assert row is not None and row.action == "dpo.export"
    assert row.details is not None
    assert {w["record_id"]: w["reason"] for w in row.details["withheld"]} == reasons
    assert verify(database).ok


def test_dpo_access_needs_permission_and_is_audited(database: Database, providers: None) -> None:
    with pytest.raises(PermissionDenied):
        with database.session() as s:
            subject_report(s, GUARD, QUERY, purpose="curious")
    with database.session() as s:
        row = s.scalars(sa.select(AuditEntry)).one()
    assert row.action == "dpo.subject_report" and row.outcome == "denied"


def test_bad_requests(database: Database, providers: None) -> None:
    with pytest.raises(ValidationError) as e:
        SubjectQuery()
    assert e.value.field == "surname"
    with pytest.raises(ValidationError) as e:
        SubjectQuery(surname="X", date_of_birth=dt.date(2999, 1, 1))
    assert e.value.field == "date_of_birth"
    with pytest.raises(ValidationError) as e:
        with database.session() as s:
            export_for_subject(s, DPO, QUERY, purpose="p", request_reference="R1",
                               withhold={"al-refusal": "because"})
    assert e.value.field == "withhold"
    with pytest.raises(ValidationError) as e:
        with database.session() as s:
            export_for_subject(s, DPO, QUERY, purpose="p", request_reference=" ")
    assert e.value.field == "request_reference"


def test_dpo_and_audit_api(database: Database, providers: None) -> None:
    from fastapi.testclient import TestClient

    from granica.api.app import create_app
    from granica.auth import service as auth
    from granica.auth.principal import system_principal

    admin = system_principal("tests")
    with database.session() as s:
        auth.create_user(s, admin, username="dpo1", password="Zastita-Podataka-1",
                         agency="DPO", roles=["dpo"])
        auth.create_user(s, admin, username="guard1", password="Zastita-Podataka-1",
                         agency="BORDER_POLICE", roles=["border_guard"])
        dpo_token = auth.issue_token(s, admin, "dpo1", name="tests")
        guard_token = auth.issue_token(s, admin, "guard1", name="tests")
    _accesses(database)
    client = TestClient(create_app(database))
    dpo = {"Authorization": f"Bearer {dpo_token}", "X-Purpose": "request DSR-1"}
    r = client.post("/api/v1/dpo/export", headers=dpo,
                    json={"surname": "Petrović", "request_reference": "DSR-1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {x["record_id"] for x in body["document"]["records"]} == {"al-refusal", "al-case",
                                                                     "chk-1"}
    assert [w["reason"] for w in body["withheld"]] == ["discreet_check"]
    r = client.get("/api/v1/audit/entries", headers=dpo, params={"subject_id": "al-refusal"})
    assert r.status_code == 200 and r.json()["total"] == 2  # the guard's read and the export
    r = client.get("/api/v1/audit/verify", headers=dpo)
    assert r.status_code == 200 and r.json()["ok"] is True
    guard = {"Authorization": f"Bearer {guard_token}"}
    assert client.post("/api/v1/dpo/subject-report", headers=guard,
                       json={"surname": "Petrović"}).status_code == 403
    r = client.post("/api/v1/dpo/subject-report", headers=dpo, json={})
    assert r.status_code == 422 and r.json()["field"] == "surname"
