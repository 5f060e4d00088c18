"""A batch of held messages whose handler fails for one of them, on SQLite and PostgreSQL:
the others are handled exactly once, the failed one is kept with its error for an operator,
and nothing the failed attempt wrote (audit rows, messages sent) remains or is counted."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import signing
from granica.audit.models import AuditEntry, AuditPending
from granica.audit.service import record
from granica.audit.verify import verify
from granica.auth.principal import system_principal
from granica.exchange import models as m
from granica.exchange import service
from granica.exchange.envelope import Envelope
from granica.storage import Database

pytestmark = pytest.mark.db

KIND = "test.filing"


def _file(session: Session, envelope: Envelope) -> None:
    """A handler that audits what it filed and answers, then fails when told to: what it
    did before failing must go with it."""
    name = f"{envelope.conversation}/{envelope.seq}"
    record(session, system_principal("batch test"), "test.filing", purpose="batch test",
           subject_type="message", subject_ids=[envelope.id], details={"filed": name})
    service.send(session, envelope.sender, service.PONG, envelope.conversation,
                 {"filed": name})
    if envelope.body.get("fail"):
        raise ValueError(f"cannot file {name}")


@pytest.fixture
def filing(monkeypatch: pytest.MonkeyPatch) -> None:
    service.handlers()  # the registry is loaded first, so that the test's handler stays in it
    monkeypatch.setitem(service._handlers, KIND, _file)


def from_hu(key: Ed25519PrivateKey, conversation: str, seq: int, *, fail: bool = False
            ) -> dict[str, Any]:
    envelope = Envelope(str(uuid.uuid4()), "HU", "RS", KIND, conversation, seq, clock.now(),
                        {"fail": fail})
    return envelope.signed_with(key).to_dict()


def test_exchange_a_failing_handler_in_a_batch_loses_none_of_the_others(
        database: Database, hungary: Ed25519PrivateKey, filing: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[int] = []
    rows_committed = signing.rows_committed

    def counting(engine: sa.Engine, waiting: signing.Waiting) -> None:
        counted.append(waiting.rows)
        rows_committed(engine, waiting)

    monkeypatch.setattr(signing, "rows_committed", counting)
    batch = [from_hu(hungary, "case-a", 1), from_hu(hungary, "case-a", 2, fail=True),
             from_hu(hungary, "case-a", 3), from_hu(hungary, "case-b", 1),
             from_hu(hungary, "case-b", 2)]
    acks = service.receive(database, batch)
    assert [a.status for a in acks] == ["accepted"] * 5

    failed = batch[1]["id"]
    with database.session() as s:
        states = {row.id: (row.state, row.error) for row in s.execute(
            sa.select(m.InboxMessage.id, m.InboxMessage.state, m.InboxMessage.error))}
        assert states[failed] == (m.FAILED, "ValueError: cannot file case-a/2")
        assert {states[x["id"]] for x in batch if x["id"] != failed} == {(m.HANDLED, None)}
        filed = sorted(str(d["filed"]) for d in s.execute(
            sa.select(AuditEntry.details).where(AuditEntry.action == "test.filing")).scalars())
        assert filed == ["case-a/1", "case-a/3", "case-b/1", "case-b/2"]  # each once
        assert s.execute(sa.select(sa.func.count()).select_from(AuditPending)).scalar_one() == 0
        answers = sorted(json.loads(e)["body"]["filed"] for e in s.execute(
            sa.select(m.OutboxMessage.envelope)).scalars())
        assert answers == ["case-a/1", "case-a/3", "case-b/1", "case-b/2"]
    assert sum(counted) == 4  # the failed attempt's audit rows are not waiting to be signed

    # the failed message is not handed over again; the conversations carry on after it
    assert service.handle_held(database) == 0
    assert [a.status for a in service.receive(database, [from_hu(hungary, "case-a", 4)])] == [
        "accepted"]
    with database.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == "test.filing")).scalar_one() == 5
    result = verify(database)
    assert result.ok, result.message


def test_exchange_a_batch_that_fails_nowhere_is_handled_once_in_order(
        database: Database, hungary: Ed25519PrivateKey, filing: None) -> None:
    batch = [from_hu(hungary, f"case-{c}", n) for c in "xyz" for n in (2, 1, 3)]
    service.receive(database, batch)
    with database.session() as s:
        assert set(s.execute(sa.select(m.InboxMessage.state)).scalars()) == {m.HANDLED}
        filed = [str(d["filed"]) for d in s.execute(
            sa.select(AuditEntry.details).where(AuditEntry.action == "test.filing")
            .order_by(AuditEntry.seq)).scalars()]
    assert filed == [f"case-{c}/{n}" for c in "xyz" for n in (1, 2, 3)]
    assert verify(database).ok
