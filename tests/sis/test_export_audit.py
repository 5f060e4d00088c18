"""An export is audited with exactly the alerts it handed out: a 5,000-alert register
exported by a user who may not see all of it, checked against the audit log and the
audit index the DPO's subject-access report reads."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from granica.audit.models import AuditEntry
from granica.audit.search import accesses_to
from granica.auth.principal import Principal
from granica.sis import service
from granica.sis.models import Alert
from granica.sis.synth import synth_alerts
from granica.storage import Database

pytestmark = pytest.mark.db

ALERTS = 5000


def test_alerts_export_audits_exactly_what_it_yielded(database: Database,
                                                       sirene: Principal) -> None:
    with database.session() as s:
        report = service.import_alerts(s, sirene, (json.dumps(a) for a in
                                                   synth_alerts(ALERTS, seed=5)), purpose="load")
    assert report.imported == ALERTS
    # an exporter who sees neither discreet checks nor SIRENE-only alerts
    exporter = Principal(user_id="u-exporter", username="exporter", agency="SIRENE",
                         roles=frozenset(), via="session", permissions=frozenset(
                             {"alerts.person.read", "alerts.object.read", "alerts.export"}))
    with database.session() as s:
        exported = [v["alert_id"] for v in service.export_alerts(s, exporter, purpose="audit test")]
    with database.session() as s:
        every = set(s.scalars(sa.select(Alert.id)))
        row = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "alerts.export")).one()
        hidden = sorted(every - set(exported))
        assert hidden and len(exported) > ALERTS // 2  # the filter did withhold some
        assert row.result_count == len(exported)
        assert sorted(row.subject_ids) == sorted(exported)
        # the DPO's report (the audit index): a withheld alert was not exported
        for alert_id in hidden[:50]:
            assert all(e.action != "alerts.export" for e in accesses_to(s, [alert_id]))
        assert any(e.action == "alerts.export" for e in accesses_to(s, [min(exported)]))
