"""The DPO sees what the register holds about a person (discreet checks withheld), the demo
seeding is fast and idempotent, and an export imports again."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from granica.auth.principal import Principal, system_principal
from granica.dpo.registry import SubjectQuery
from granica.sis import service
from granica.sis.demo import seed_demo_alerts
from granica.sis.dpo import subject_data
from granica.sis.models import Alert
from granica.storage import Database
from tests.sis.conftest import arrest_payload

pytestmark = [pytest.mark.db]


def test_subject_data_for_the_dpo_withholds_discreet_checks(database: Database, officer: Principal) -> None:
    discreet = arrest_payload()
    discreet["category"] = "discreet_check"
    discreet["data"] = {k: v for k, v in discreet["data"].items() if k != "warrant_reference"}
    discreet["data"]["identity_documents"] = [{"type": "passport", "number": "008123456", "country": "RS"}]
    # a return alert on the same person (an arrest alert could not stand beside a discreet
    # check: granica/sis/compatibility.toml)
    returned = arrest_payload(last_day_voluntary_departure="2026-09-30")
    returned["category"] = "return"
    returned["data"].pop("warrant_reference")
    with database.session() as s:
        a = service.create_alert(s, system_principal("test"), returned, purpose="t")
        b = service.create_alert(s, officer, discreet, purpose="t")
    with database.session() as s:
        found = subject_data(s, SubjectQuery(surname="Јовановић", given_names="Ђорђе",
                                             date_of_birth=dt.date(1980, 4, 12)))
        by_doc = subject_data(s, SubjectQuery(surname="X", document_numbers=("008 123 456",)))
    records = {r["record_id"]: r for r in found}
    assert set(records) == {a["alert_id"], b["alert_id"]}
    assert records[b["alert_id"]]["withhold"] == "discreet_check"
    assert "withhold" not in records[a["alert_id"]]
    assert [r["record_id"] for r in by_doc] == [b["alert_id"]]


def test_demo_alerts_are_seeded_once(database: Database) -> None:
    assert seed_demo_alerts(database, count=120) == 120
    assert seed_demo_alerts(database, count=120) == 0
    with database.session() as s:
        categories = set(s.scalars(sa.select(Alert.category).distinct()))
        statuses = set(s.scalars(sa.select(Alert.status).distinct()))
    assert len(categories) >= 30 and statuses == {"active"}


def test_alerts_export_imports_again(database: Database, sirene: Principal, tmp_path: object) -> None:
    seed_demo_alerts(database, count=60)
    with database.session() as s:
        lines = [service.export_line(v) for v in service.export_alerts(s, sirene, purpose="copy")]
    assert len(lines) == 60
    with database.session() as s:
        s.execute(sa.delete(Alert))  # an empty register (index rows go with the alerts)
    with database.session() as s:
        report = service.import_alerts(s, sirene, lines, purpose="restore")
    assert report.rejected == [] and report.imported == 60
    with database.session() as s:
        again = [json.loads(v) for v in (service.export_line(x) for x in
                                          service.export_alerts(s, sirene, purpose="copy"))]
    assert sorted(a["schengen_id"] for a in again) == sorted(json.loads(x)["schengen_id"] for x in lines)
    assert sorted(json.dumps(a["data"], sort_keys=True) for a in again) == \
        sorted(json.dumps(json.loads(x)["data"], sort_keys=True) for x in lines)
