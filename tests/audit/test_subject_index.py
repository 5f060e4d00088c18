"""Issue 15: the DPO's subject-access report (it reads only the audit_subject index) shows
every alert of a bulk import and of an export, not only the first 500 ids of each row, and an
export names only the alerts it handed out."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import sqlalchemy as sa

from granica.audit.models import AuditEntry, AuditSubjectIndex
from granica.auth.permissions import permissions_of
from granica.auth.principal import Principal
from granica.dpo.registry import SubjectQuery
from granica.dpo.service import subject_report
from granica.sis import service
from granica.sis.models import Alert
from granica.sis.synth import synth_alerts
from granica.sis.visibility import can_see
from granica.storage import Database

pytestmark = [pytest.mark.db, pytest.mark.acceptance]

ALERTS = 5000
WITHHELD_FROM_EXPORTER = {"alerts.person.read_discreet", "alerts.supplementary.read"}


def _principal(username: str, agency: str, *roles: str) -> Principal:
    return Principal(user_id=f"u-{username}", username=username, agency=agency,
                     roles=frozenset(roles), permissions=permissions_of(set(roles)), via="session")


def _actions(database: Database, alert_id: str) -> list[str]:
    dpo = _principal("dpo1", "DPO", "dpo")
    with database.session() as s:
        report = subject_report(s, dpo, SubjectQuery(subject_ids=(alert_id,)),
                                purpose="subject access request 7/2026")
    return [a["action"] for a in report.accesses if alert_id in a["subject_ids"]]


def test_dpo_report_shows_every_alert_of_a_bulk_import_and_export(database: Database) -> None:
    alerts = list(synth_alerts(ALERTS, seed=15))
    sirene = _principal("sirene", "SIRENE", "sirene_operator")
    with database.session() as s:
        report = service.import_alerts(s, sirene, (json.dumps(a) for a in alerts),
                                       purpose="initial load")
    assert report.imported == ALERTS
    # an operator who may see neither discreet checks nor SIRENE-only alerts exports them
    exporter = replace(sirene, user_id="u-exporter", username="exporter",
                       permissions=sirene.permissions - WITHHELD_FROM_EXPORTER)
    with database.session() as s:
        exported = [v["alert_id"] for v in service.export_alerts(s, exporter, purpose="audit")]
    with database.session() as s:
        stored = {a.schengen_id: a for a in s.scalars(sa.select(Alert))}
        line_ids = [stored[a["schengen_id"]].id for a in alerts]
        visible = [a.id for a in stored.values() if can_see(exporter, a)]
        # every id of every import row and of the export row is in the index
        for row in s.scalars(sa.select(AuditEntry).where(
                AuditEntry.action.in_(("alerts.import", "alerts.export")))):
            indexed = set(s.scalars(sa.select(AuditSubjectIndex.subject_id)
                                    .where(AuditSubjectIndex.seq == row.seq)))
            assert indexed == set(row.subject_ids) and len(indexed) == row.result_count
    assert sorted(exported) == sorted(visible) and len(visible) < ALERTS

    # the 4,999th line of the file, and the alert last in id order (last in its row's index)
    near_end = line_ids[4998]
    last_visible = [i for i in line_ids[4900:] if i in set(visible)][-1]
    hidden = [i for i in line_ids[4900:] if i not in set(visible)][-1]
    for alert_id in {near_end, last_visible, max(line_ids), max(visible)}:
        actions = _actions(database, alert_id)
        assert "alerts.import" in actions, alert_id
        assert ("alerts.export" in actions) == (alert_id in set(visible)), alert_id
    actions = _actions(database, hidden)
    assert "alerts.import" in actions and "alerts.export" not in actions

