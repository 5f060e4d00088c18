"""The schema migrates on both databases and matches the models; the audit chain appends."""

from __future__ import annotations

import sqlalchemy as sa

from granica.audit.models import AuditEntry
from granica.audit.service import record
from granica.auth import system_principal
from granica.storage import Database
from granica.storage.migrate import pending_changes


def test_migrations_match_models(database: Database) -> None:
    assert pending_changes(database) == []


def test_audit_rows_chain(database: Database) -> None:
    who = system_principal("test")
    with database.session() as s:
        record(s, who, "test.read", purpose="unit test", subject_type="alert", subject_ids=["a1"])
        record(s, who, "test.read", purpose="unit test", subject_type="alert", subject_ids=["a2"])
    with database.session() as s:
        rows = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [r.seq for r in rows] == [1, 2]
    assert rows[1].prev_hash == rows[0].row_hash
