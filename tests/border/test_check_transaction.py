"""Issue 10, border throughput: a check writes in one transaction, its audit rows (its
sources' reads and its own) in one statement; a source answering after its budget still has
its read audited."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from granica.audit.models import AuditEntry, AuditPending
from granica.audit.verify import verify
from granica.auth.principal import Principal
from granica.border import service, sources
from granica.border.schemas import CheckRequest
from granica.settings import get_settings
from granica.storage import Database
from tests.border.conftest import BCP, GUARD, future_expiry, td3


@pytest.fixture
def audit_inserts(border_db: Database) -> Iterator[list[int]]:
    """How many audit rows each INSERT into audit_pending carried."""
    seen: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
              executemany: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_PENDING"):
            seen.append(len(params) if executemany else 1)

    event.listen(border_db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(border_db.engine, "before_cursor_execute", count)


def _check(db: Database, **extra: object) -> service.CheckResult:
    mrz = td3("NOVAK", "ANA", "N7654321", "UKR", "900215", expiry=future_expiry(), sex="F")
    with db.session() as s:
        return service.check(s, GUARD, CheckRequest(bcp=BCP, mrz=mrz, direction="entry",
                                                    vehicle_plate="BG123AB", **extra),
                             "border check")


def _actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_a_check_writes_its_audit_rows_in_one_statement(border_db: Database,
                                                        audit_inserts: list[int]) -> None:
    before = len(_actions(border_db))
    result = _check(border_db)
    assert result.decision in ("go", "refer")
    # the person, document and vehicle searches and the check itself: one insert of four rows
    assert audit_inserts == [4]
    actions = _actions(border_db)[before:]
    assert actions[-1] == "border.check"  # the sources' rows in the order they answered
    assert sorted(actions[:-1]) == ["alerts.search.document", "alerts.search.person",
                                    "alerts.search.vehicle"]
    assert verify(border_db).ok


class _SlowSource:
    """A source that reads (and audits) after the check's budget ran out."""

    name = "slow"
    label = "Slow register"
    local_database = False

    def __init__(self) -> None:
        self.done = threading.Event()

    def applies(self, q: sources.TravellerQuery) -> bool:
        return True

    def query(self, session: Any, principal: Principal, q: sources.TravellerQuery,
              purpose: str) -> list[sources.Hit]:
        from granica.audit.service import record

        time.sleep(get_settings().border_source_budget_ms / 1000 + 0.3)
        record(session, principal, "slow.read", purpose=purpose, subject_type="register",
               subject_ids=["slow-1"])
        self.done.set()
        return []


def test_a_source_answering_late_still_audits_its_read(border_db: Database) -> None:
    slow = _SlowSource()
    sources.set_sources([*sources.default_sources(), slow])
    result = _check(border_db)
    assert "slow" in [s.name for s in result.sources if s.status == "timeout"]
    assert slow.done.wait(10)
    deadline = time.monotonic() + 10
    while "slow.read" not in _actions(border_db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "slow.read" in _actions(border_db)
    with border_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditPending)) == 0
    assert verify(border_db).ok
