"""One node's side of the exchange, on SQLite and PostgreSQL: what it accepts from a
peer, what it refuses and records, the order it hands messages over in, and what
it does when a peer cannot be reached."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from granica.auth.principal import system_principal
from granica.errors import NotFoundError, ValidationError
from granica.exchange import models as m
from granica.exchange import service
from granica.exchange.envelope import Envelope
from granica.exchange.peers import read_peers
from granica.settings import get_settings
from granica.storage import Database

pytestmark = pytest.mark.db


def from_hu(key: Ed25519PrivateKey, seq: int, *, conversation: str = "case-1",
            kind: str = service.PING, recipient: str = "RS", body: dict[str, Any] | None = None,
            created: dt.datetime | None = None) -> dict[str, Any]:
    envelope = Envelope(str(uuid.uuid4()), "HU", recipient, kind, conversation, seq,
                        created or clock.now(), body if body is not None else {"n": seq})
    return envelope.signed_with(key).to_dict()


def outbox(db: Database) -> list[m.OutboxMessage]:
    with db.session() as s:
        return list(s.execute(sa.select(m.OutboxMessage).order_by(m.OutboxMessage.seq)).scalars())


def test_exchange_a_ping_is_accepted_once_and_answered_once(
        database: Database, hungary: Ed25519PrivateKey) -> None:
    message = from_hu(hungary, 1)
    first = service.receive(database, [message])
    again = service.receive(database, [message])
    assert [a.status for a in first] == ["accepted"]
    assert [a.status for a in again] == ["duplicate"]
    pongs = outbox(database)
    assert len(pongs) == 1
    assert pongs[0].recipient == "HU" and pongs[0].kind == service.PONG
    assert json.loads(pongs[0].envelope)["body"]["ping"] == message["id"]
    with database.session() as s:
        row = s.get(m.InboxMessage, message["id"])
        assert row is not None and row.state == m.HANDLED


def test_exchange_messages_are_handled_in_their_order_whatever_the_arrival(
        database: Database, hungary: Ed25519PrivateKey) -> None:
    third, first, second = (from_hu(hungary, n) for n in (3, 1, 2))
    assert [a.status for a in service.receive(database, [third])] == ["accepted"]
    with database.session() as s:
        assert s.get(m.InboxMessage, third["id"]).state == m.HELD  # type: ignore[union-attr]
    assert outbox(database) == []  # nothing handled before message 1 and 2 are there
    service.receive(database, [second, first])
    answered = [json.loads(p.envelope)["body"]["ping_seq"] for p in outbox(database)]
    assert answered == [1, 2, 3]


@pytest.mark.parametrize(
    ("tamper", "reason", "named"),
    [
        ("forged", "bad_signature", "HU's key"),
        ("body_changed", "bad_signature", "HU's key"),
        ("unknown_sender", "unknown_sender", "XK"),
        ("wrong_recipient", "wrong_recipient", "HR"),
        ("too_old", "too_old", "hours are accepted"),
        ("future", "from_the_future", "clock"),
        ("unknown_kind", "unknown_kind", "sirene.nothing"),
        ("no_seq", "malformed", "seq"),
        ("bad_time", "malformed", "created_at"),
    ],
)
def test_exchange_refuses_what_it_cannot_trust_and_records_it(
        database: Database, hungary: Ed25519PrivateKey, tamper: str, reason: str,
        named: str) -> None:
    message = from_hu(hungary, 1)
    if tamper == "forged":
        message = from_hu(Ed25519PrivateKey.generate(), 1)
    elif tamper == "body_changed":
        message["body"] = {"n": 99}
    elif tamper == "unknown_sender":
        message["sender"] = "XK"
    elif tamper == "wrong_recipient":
        message = from_hu(hungary, 1, recipient="HR")
    elif tamper == "too_old":
        message = from_hu(hungary, 1, created=clock.now() - dt.timedelta(days=8))
    elif tamper == "future":
        message = from_hu(hungary, 1, created=clock.now() + dt.timedelta(hours=1))
    elif tamper == "unknown_kind":
        message = from_hu(hungary, 1, kind="sirene.nothing")
    elif tamper == "no_seq":
        del message["seq"]
    elif tamper == "bad_time":
        message["created_at"] = "yesterday"
    good = from_hu(hungary, 1, conversation="case-2")
    acks = service.receive(database, [message, good], remote="127.0.0.1")
    assert [a.status for a in acks] == ["refused", "accepted"]  # the bad one holds nothing back
    assert acks[0].reason == reason
    assert named in (acks[0].detail or "")
    with database.session() as s:
        refusals = list(s.execute(sa.select(m.Refusal)).scalars())
        assert [(r.reason, r.remote) for r in refusals] == [(reason, "127.0.0.1")]
        assert s.get(m.InboxMessage, message.get("id", "")) is None
        state = service.status(s, system_principal("test"))
    assert state["refused_total"] == 1
    assert state["refusals"][0]["reason"] == reason


def test_exchange_a_reused_place_in_a_conversation_is_refused(
        database: Database, hungary: Ed25519PrivateKey) -> None:
    service.receive(database, [from_hu(hungary, 1)])
    acks = service.receive(database, [from_hu(hungary, 1)])  # same number, another id
    assert acks[0].status == "refused" and acks[0].reason == "sequence_reused"


def test_exchange_send_checks_recipient_kind_and_size(
        database: Database, hungary: Ed25519PrivateKey) -> None:
    with database.session() as s:
        with pytest.raises(NotFoundError) as unknown:
            service.send(s, "XK", "exchange.ping", "c", {})
        assert "known: HU" in unknown.value.message and "peers.toml" in unknown.value.message
        with pytest.raises(ValidationError, match="dotted lower-case"):
            service.send(s, "HU", "Ping", "c", {})
        with pytest.raises(ValidationError, match="at most"):
            service.send(s, "HU", "exchange.ping", "c",
                         {"blob": "x" * (service.MAX_BODY_BYTES + 1)})
        with pytest.raises(ValidationError, match="this node"):
            service.send(s, get_settings().bureau_code, "exchange.ping", "c", {})
    assert outbox(database) == []


def test_exchange_numbers_each_conversation_on_its_own(
        database: Database, hungary: Ed25519PrivateKey) -> None:
    with database.session() as s:
        service.ping(s, system_principal("test"), "HU", 3, conversation="a")
        service.ping(s, system_principal("test"), "HU", 2, conversation="b")
    seqs = sorted((p.conversation, p.seq) for p in outbox(database))
    assert seqs == [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2)]


def test_exchange_a_peer_that_is_down_is_retried_later_with_the_reason(
        database: Database, hungary: Ed25519PrivateKey) -> None:
    import httpx

    with database.session() as s:
        service.ping(s, system_principal("test"), "HU", 2)
    with httpx.Client() as client:
        first = service.deliver_due(database, client)
        again = service.deliver_due(database, client)
    assert first.sent == 2 and first.retried == 2 and first.peers_down == ["HU"]
    assert again.sent == 0  # not due yet: backing off
    rows = outbox(database)
    assert all(r.state == m.PENDING and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at > clock.now() for r in rows)
    assert all("HU could not be reached" in (r.last_error or "") for r in rows)
    assert service.backoff(1) <= dt.timedelta(seconds=1)
    assert service.backoff(30) <= dt.timedelta(seconds=get_settings().exchange_retry_max_seconds)


def test_exchange_status_needs_the_monitor_permission(database: Database) -> None:
    from granica.auth.principal import Principal
    from granica.errors import PermissionDenied

    guard = Principal(user_id="u1", username="guard", agency="BORDER_POLICE",
                      roles=frozenset({"border_guard"}), permissions=frozenset({"border.check"}),
                      display_name="Guard", via="token")
    with database.session() as s, pytest.raises(PermissionDenied):
        service.status(s, guard)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("[peers.HU\n", "not a TOML file"),
        ('[peers.HU]\nurl = "ftp://x"\npublic_key = "AAAA"\n', "url must be"),
        ('[peers.HU]\nurl = "http://127.0.0.1:1"\n', "public_key is missing"),
        ('[peers.HU]\nurl = "http://127.0.0.1:1"\npublic_key = "abc"\n', "base64 of 32 bytes"),
        ('[peers.hu]\nurl = "http://127.0.0.1:1"\npublic_key = "abc"\n', "upper-case"),
    ],
)
def test_exchange_a_broken_peers_file_is_named(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "peers.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_peers(path)
    assert named in caught.value.message
    assert str(path) in caught.value.message
