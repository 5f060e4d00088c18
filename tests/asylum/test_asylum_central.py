"""Transmission to the central system through `granica.exchange`, with FVC2002 DB1_B prints.

In one process (SQLite and PostgreSQL): a national node and the stand-in central system share
one database and swap identities (node code, role, signing key, peers file) to hand each
other their messages, so the rules are tested without servers: the answers, the resend, a
transaction failing the profile and a reference of another node.

As real processes on 127.0.0.1 (a national node `RS` and a `--role eurodac-central` node):
enrolment and transmission, no hit then a hit, a resend kept as the same subject, a central
system that is down, a forged and a replayed message, and the national node killed (SIGKILL)
while its outbox holds a transaction and between a send and its acknowledgement."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from granica import clock
from granica.asylum import central, service, transmission
from granica.asylum import statistics as asylum_statistics
from granica.asylum.central_models import (
    HIT,
    NO_HIT,
    REJECTED,
    CentralFinger,
    CentralRecord,
    CentralTransaction,
    Transmission,
)
from granica.asylum.gallery import forget_galleries
from granica.asylum.models import Subject
from granica.audit.models import AuditEntry
from granica.audit.signing import create_key_file, load_private_key
from granica.auth.principal import system_principal
from granica.biometrics.formats import TaggedRecord, read_transaction
from granica.errors import ValidationError
from granica.exchange import models as xm
from granica.exchange import service as exchange
from granica.exchange.envelope import Envelope
from granica.exchange.keys import forget_cached_key, public_text
from granica.exchange.nodes import LocalNode, local_nodes
from granica.settings import reset_settings
from granica.storage import Database
from granica.storage.migrate import alembic_config, pending_changes, upgrade
from tests.asylum.test_asylum_service import OFFICER, T0, enrolment
from tests.exchange.test_exchange_nodes import wait_until

CENTRAL = "EU-CENTRAL"


# --- one process, one database, two identities ------------------------------------------


@pytest.fixture
def two_sides(database: Database, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """`be("RS")` / `be("EU-CENTRAL")`: this process acts as the national node or the
    central system (its own key and peers file naming the other)."""
    forget_galleries()
    central.forget_galleries()
    clock.freeze(T0)
    keys = {}
    for code in ("RS", CENTRAL):
        path = tmp_path / "keys" / f"{code}.pem"
        create_key_file(path)
        keys[code] = public_text(load_private_key(path.read_bytes(), str(path)).public_key())
    for code, other in (("RS", CENTRAL), (CENTRAL, "RS")):
        (tmp_path / f"{code}-peers.toml").write_text(
            f'[peers.{other}]\nurl = "http://127.0.0.1:9"\npublic_key = "{keys[other]}"\n',
            encoding="utf-8")

    def be(code: str) -> None:
        monkeypatch.setenv("GRANICA_BUREAU_CODE", code)
        monkeypatch.setenv("GRANICA_COUNTRY", code[:2])
        monkeypatch.setenv("GRANICA_NODE_ROLE", "national" if code == "RS" else "eurodac-central")
        monkeypatch.setenv("GRANICA_EXCHANGE_SIGNING_KEY_FILE", str(tmp_path / "keys" / f"{code}.pem"))
        monkeypatch.setenv("GRANICA_EXCHANGE_PEERS_FILE", str(tmp_path / f"{code}-peers.toml"))
        reset_settings()
        forget_cached_key()

    be("RS")
    yield be
    forget_cached_key()


def deliver(db: Database, be: Callable[[str], None], recipient: str) -> list[str]:
    """Hand the messages waiting for `recipient` to it, as its inbox would take them."""
    with db.session() as s:
        rows = list(s.scalars(sa.select(xm.OutboxMessage).where(
            xm.OutboxMessage.recipient == recipient, xm.OutboxMessage.state == xm.PENDING)
            .order_by(xm.OutboxMessage.created_at, xm.OutboxMessage.seq)))
        sent = [(r.id, json.loads(r.envelope)) for r in rows]
    be(recipient)
    acks = exchange.receive(db, [e for _, e in sent])
    with db.session() as s:
        s.execute(sa.update(xm.OutboxMessage).where(xm.OutboxMessage.id.in_([i for i, _ in sent]))
                  .values(state=xm.DELIVERED))
    return [a.status for a in acks]


def round_trip(db: Database, be: Callable[[str], None]) -> None:
    assert set(deliver(db, be, CENTRAL)) <= {"accepted"}
    assert set(deliver(db, be, "RS")) <= {"accepted"}
    be("RS")


def enrolled(db: Database, fingers: list[int], impression: int) -> str:
    with db.session() as s:
        outcome = service.enrol(s, OFFICER, enrolment(fingers, impression))
        assert outcome.subject is not None
        return outcome.subject.reference


def sent(db: Database, reference: str) -> Transmission:
    with db.session() as s:
        return transmission.transmit(s, OFFICER, reference)


def answered(db: Database, tcn: str) -> Transmission:
    with db.session() as s:
        row = s.scalars(sa.select(Transmission).where(Transmission.tcn == tcn)).one()
        s.expunge(row)
        return row


def body_of(db: Database, row: Transmission) -> dict[str, Any]:
    with db.session() as s:
        message = s.get(xm.OutboxMessage, row.message_id)
        assert message is not None
        body: dict[str, Any] = json.loads(message.envelope)["body"]
        return body


def send_as_is(db: Database, reference: str, tcn: str, payload: bytes, *,
               record: bool = True) -> None:
    """Send these bytes as the national node's transaction `tcn` of `reference` (what
    `transmit` would refuse to send)."""
    with db.session() as s:
        message = exchange.send(s, CENTRAL, transmission.TRANSACTION,
                                transmission.conversation(reference),
                                {"reference": reference, "tcn": tcn,
                                 "transaction": base64.b64encode(payload).decode("ascii")})
        if record:
            subject = service.subject_by_reference(s, reference)
            s.add(Transmission(id=str(uuid.uuid4()), subject_id=subject.id, reference=reference,
                               tcn=tcn, peer=CENTRAL, message_id=message.id, sent_by="test",
                               sent_at=clock.now(), candidates=[], faults=[]))


def test_asylum_transmission_rules_in_one_process(
        database: Database, two_sides: Callable[[str], None]) -> None:
    db, be = database, two_sides
    first = enrolled(db, [101, 102, 103], 1)
    out = sent(db, first)
    assert out.tcn == f"{first}T001"
    # the transaction as it travels: ANSI/NIST-ITL under the profile
    tx = read_transaction(base64.b64decode(body_of(db, out)["transaction"]))
    assert tx.header.value(4) == "CND1" and tx.header.value(9) == out.tcn
    assert transmission.faults_of(tx, len(tx.to_bytes())) == []
    assert sorted(r.type for r in tx.records).count(14) == 10  # 3 prints, 7 with AMP 'UP'
    round_trip(db, be)
    assert answered(db, out.tcn).result == NO_HIT
    with db.session() as s:
        subject = service.subject_by_reference(s, first)
        assert subject.transmitted_at == T0
        assert transmission.transmissions(s, OFFICER, first)["transmissions"][0]["delivery"] \
            == "delivered"

    second = enrolled(db, [101, 102, 103], 3)  # other impressions of the same fingers
    out2 = sent(db, second)
    round_trip(db, be)
    hit = answered(db, out2.tcn)
    assert hit.result == HIT
    assert [(c["reference"], c["member_state"], c["category"]) for c in hit.candidates] == [
        (first, "RS", "applicant")]

    again = sent(db, first)  # a resend: the same reference, a new control number
    assert again.tcn == f"{first}T002"
    round_trip(db, be)
    assert answered(db, again.tcn).result == HIT  # the second subject is stored now
    with db.session() as s:
        records = list(s.scalars(sa.select(CentralRecord).order_by(CentralRecord.reference)))
        assert [(r.reference, r.transmissions) for r in records] == [(first, 2), (second, 1)]
        assert s.scalar(sa.select(sa.func.count()).select_from(CentralTransaction)) == 3

    # A transaction that fails the profile (a finger neither printed nor explained) is not
    # sent by the national node, and the central system rejects it naming the fault.
    with db.session() as s:
        data = transmission.encode(s, service.subject_by_reference(s, second),
                                   f"{second}T900", clock.now())
    broken = read_transaction(data)
    broken.records = [r for r in broken.records if not (
        isinstance(r, TaggedRecord) and r.type == 14 and r.value(13) == "7")]
    send_as_is(db, second, f"{second}T900", broken.to_bytes())
    send_as_is(db, second, f"{second}T901", b"not an ANSI/NIST-ITL transaction")
    round_trip(db, be)
    rejected = answered(db, f"{second}T900")
    assert rejected.result == REJECTED
    assert any(f["rule"] == "fingers.required_positions" and "position 7" in f["message"]
               for f in rejected.faults), rejected.faults
    unreadable = answered(db, f"{second}T901")
    assert unreadable.result == REJECTED and unreadable.faults[0]["rule"] == "structure"
    with db.session() as s:  # the monthly statistics count the central's rejections
        stats = asylum_statistics.statistics(s, system_principal("test"))
        assert stats["totals"]["transactions_rejected"] == 2
    with db.session() as s:
        assert service.subject_by_reference(s, second).transmitted_at == T0  # from its first

    # The same transaction in a second message is taken once; an answer sent twice is
    # recorded once.
    send_as_is(db, first, again.tcn, base64.b64decode(body_of(db, again)["transaction"]),
               record=False)
    be(CENTRAL)
    with db.session() as s:
        twice = central.encode_answer(transmission.values(), requester="RSASYLUM",
                                      request_tcn=out.tcn, answer_tcn="EUTWICE",
                                      reference=first, result=HIT, candidates=[], faults=[],
                                      now=clock.now())
        exchange.send(s, "RS", transmission.ANSWER, transmission.conversation(first),
                      {"transaction": base64.b64encode(twice).decode("ascii")})
    be("RS")
    round_trip(db, be)
    assert answered(db, out.tcn).result == NO_HIT
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CentralTransaction)
                        .where(CentralTransaction.tcn == again.tcn)) == 1

    # A reference number of another node is refused by the rules.
    third = enrolled(db, [104, 105], 1)
    with db.session() as s:
        s.execute(sa.update(Subject).where(Subject.reference == third)
                  .values(reference="HU1" + third[3:]))
    forged = sent(db, "HU1" + third[3:])
    round_trip(db, be)
    refused = answered(db, forged.tcn)
    assert refused.result == REJECTED and refused.faults[0]["rule"] == "reference.origin"
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CentralRecord)) == 2
        # every message of both sides was handled (none left failed for an operator)
        assert set(s.scalars(sa.select(xm.InboxMessage.state))) == {xm.HANDLED}


def test_asylum_marking_erasure_and_retention_reach_the_central_system(
        database: Database, two_sides: Callable[[str], None]) -> None:
    """A transmitted subject marked nationally is marked at the central system, and erased
    there when erased in advance (no longer found); a subject never transmitted sends
    nothing; an update from a node that did not send the record is refused; the central
    system's own retention job erases what has expired, and nothing else."""
    db, be = database, two_sides
    first, second = enrolled(db, [101, 102], 1), enrolled(db, [103, 104], 1)
    never = enrolled(db, [105], 1)
    sent(db, first)
    sent(db, second)
    round_trip(db, be)

    def record(reference: str) -> CentralRecord | None:
        with db.session() as s:
            row = s.scalars(sa.select(CentralRecord)
                            .where(CentralRecord.reference == reference)).first()
            if row is not None:
                s.expunge(row)
            return row

    def outbox() -> int:
        with db.session() as s:
            return s.scalar(sa.select(sa.func.count()).select_from(xm.OutboxMessage)) or 0

    manager = system_principal("asylum office")
    with db.session() as s:
        service.mark(s, manager, first, "international protection granted")
    queued = outbox()
    with db.session() as s:
        service.mark(s, manager, never, "international protection granted")
    assert outbox() == queued  # never transmitted: nothing to tell
    assert deliver(db, be, CENTRAL) == ["accepted"]
    be("RS")
    marked = record(first)
    assert marked is not None and marked.marked_at == T0 and record(second) is not None

    # an update for a record another node sent is refused and audited
    be(CENTRAL)
    with db.session() as s:
        central.receive_update(s, Envelope(id=str(uuid.uuid4()), sender="HU", recipient=CENTRAL,
                                           kind=transmission.UPDATE, conversation="x", seq=1,
                                           created_at=T0, body={"reference": second,
                                                                "action": "erase"}))
    with db.session() as s:
        updates = s.scalars(sa.select(AuditEntry.details).where(
            AuditEntry.action == "asylum.central.update")).all()
        assert any("not HU" in str(d) for d in updates), updates
    assert record(second) is not None
    be("RS")

    with db.session() as s:
        service.erase(s, manager, first, "became a citizen of a Member State")
    assert deliver(db, be, CENTRAL) == ["accepted"]
    be("RS")
    assert record(first) is None
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CentralFinger)
                        .where(CentralFinger.template.is_not(None))) == 2  # the second's
        assert s.scalars(sa.select(CentralTransaction.content)
                         .where(CentralTransaction.reference == first)).all() == [None]
    again = enrolled(db, [101, 102], 2)  # the erased person's fingers: no hit any more
    out = sent(db, again)
    round_trip(db, be)
    assert answered(db, out.tcn).result == NO_HIT

    # the central system's retention: applicants are kept 10 years from fingerprinting
    be(CENTRAL)
    clock.freeze(T0 + dt.timedelta(days=365 * 10 - 30))
    assert central.retention_due(db) == {"erased": 0}
    clock.freeze(T0 + dt.timedelta(days=365 * 10 + 5))
    assert central.retention_due(db) == {"erased": 2}  # the second and the new one
    assert record(second) is None and record(again) is None
    be("RS")
    assert central.retention_due(db) == {"erased": 0}  # a national node has no such job


def test_asylum_transmission_in_the_xml_encoding(
        database: Database, two_sides: Callable[[str], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """GRANICA_ASYLUM_ITL_ENCODING=xml: the transaction travels in the XML encoding, passes
    the profile, and the central system answers (no hit, then a hit) in XML too."""
    db, be = database, two_sides
    monkeypatch.setenv("GRANICA_ASYLUM_ITL_ENCODING", "xml")
    be("RS")
    first = enrolled(db, [101, 102, 103], 1)
    out = sent(db, first)
    raw = base64.b64decode(body_of(db, out)["transaction"])
    assert raw.startswith(b"<?xml") and b"itl:PackageFingerprintImageRecord" in raw
    tx = read_transaction(raw)
    assert tx.header.value(9) == out.tcn and transmission.faults_of(tx, len(raw)) == []
    assert sorted(r.type for r in tx.records).count(14) == 10
    round_trip(db, be)
    assert answered(db, out.tcn).result == NO_HIT
    second = enrolled(db, [101, 102, 103], 3)
    out2 = sent(db, second)
    round_trip(db, be)
    hit = answered(db, out2.tcn)
    assert hit.result == HIT and [c["reference"] for c in hit.candidates] == [first]
    with db.session() as s:
        answers = [json.loads(m.envelope)["body"]["transaction"] for m in s.scalars(
            sa.select(xm.OutboxMessage).where(xm.OutboxMessage.recipient == "RS"))]
    assert len(answers) == 2
    assert all(base64.b64decode(a).startswith(b"<?xml") for a in answers)
    with db.session() as s:  # the subject's view shows the central system's answer
        view = service.subject_view(s, OFFICER, second)["transmissions"]
    assert [(t["tcn"], t["result"], t["candidates"]) for t in view] == [(out2.tcn, HIT, [first])]


def test_asylum_transmit_refuses_what_cannot_go(
        database: Database, two_sides: Callable[[str], None]) -> None:
    db, be = database, two_sides
    with db.session() as s:
        outcome = service.enrol(s, OFFICER, enrolment([101], 1, category="temporary_protection"))
        assert outcome.subject is not None
        reference = outcome.subject.reference
    with db.session() as s, pytest.raises(ValidationError, match="no transaction type"):
        transmission.transmit(s, OFFICER, reference)
    first = enrolled(db, [102], 1)
    assert transmission.transmit_due(db) == {"sent": 1, "failed": []}  # only the sendable one
    assert transmission.transmit_due(db) == {"sent": 0, "failed": []}  # waiting for its answer
    with db.session() as s:
        assert [t["tcn"] for t in transmission.transmissions(s, OFFICER, first)["transmissions"]] \
            == [f"{first}T001"]
    be(CENTRAL)
    assert transmission.transmit_due(db) == {"sent": 0, "failed": []}  # the central sends none


def test_asylum_central_migration_round_trip(database: Database) -> None:
    tables = {"asylum_transmission", "asylum_central_record", "asylum_central_finger",
              "asylum_central_transaction"}
    assert tables <= set(sa.inspect(database.engine).get_table_names())
    command.downgrade(alembic_config(database), "0007_asylum")
    assert not tables & set(sa.inspect(database.engine).get_table_names())
    upgrade(database)
    assert pending_changes(database) == []


def test_asylum_serve_takes_a_role(monkeypatch: pytest.MonkeyPatch) -> None:
    from granica.cli import app

    seen: list[str] = []

    def fake_serve(*args: Any, **kwargs: Any) -> None:
        from granica.settings import get_settings

        seen.append(get_settings().node_role)

    monkeypatch.setattr("granica.cli.serve.serve", fake_serve)
    monkeypatch.delenv("GRANICA_NODE_ROLE", raising=False)
    try:
        result = CliRunner().invoke(app, ["serve", "--role", "eurodac-central"])
        assert result.exit_code == 0, result.output
        assert seen == ["eurodac-central"]
        assert CliRunner().invoke(app, ["serve", "--role", "bogus"]).exit_code != 0
    finally:
        os.environ.pop("GRANICA_NODE_ROLE", None)
        reset_settings()


# --- real processes ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalNode, LocalNode]]:
    national, eurodac = local_nodes(["RS", CENTRAL], tmp_path_factory.mktemp("asylum-nodes"))
    fast = {"GRANICA_EXCHANGE_RETRY_FIRST_SECONDS": "0.5", "GRANICA_EXCHANGE_RETRY_MAX_SECONDS": "2"}
    national.extra_env = dict(fast)
    eurodac.extra_env = {**fast, "GRANICA_NODE_ROLE": "eurodac-central"}
    try:
        national.start()
        eurodac.start()
        yield national, eurodac
    finally:
        for node in (national, eurodac):
            node.stop(kill=True)


@contextmanager
def acting_as(node: LocalNode) -> Iterator[Database]:
    """This process as `node`'s operator: its settings, key and database (the node keeps
    running; what is sent here waits in its outbox for its delivery worker)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("GRANICA_")}
    for k in saved:
        del os.environ[k]
    os.environ.update({k: v for k, v in node.env().items() if k.startswith("GRANICA_")})
    reset_settings()
    forget_cached_key()
    forget_galleries()
    db = Database(f"sqlite:///{node.data_dir / 'granica.db'}")
    try:
        yield db
    finally:
        db.dispose()
        for k in [k for k in os.environ if k.startswith("GRANICA_")]:
            del os.environ[k]
        os.environ.update(saved)
        reset_settings()
        forget_cached_key()
        forget_galleries()


def rows(node: LocalNode, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{node.data_dir / 'granica.db'}?mode=ro", uri=True,
                         timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def answer_of(national: LocalNode, tcn: str) -> Callable[[], Any]:
    def test() -> Any:
        found = rows(national, "SELECT result, candidates, faults FROM asylum_transmission "
                     "WHERE tcn = ? AND answered_at IS NOT NULL", tcn)
        return found[0] if found else None
    return test


def enrol_and_send(national: LocalNode, fingers: list[int], impression: int,
                   reference: str | None = None) -> tuple[str, str]:
    """Enrol on the national node (unless `reference` is given: a resend) and transmit, in
    one transaction (the node's own job never sees the subject unsent)."""
    with acting_as(national) as db, db.session() as s:
        if reference is None:
            outcome = service.enrol(s, OFFICER, enrolment(fingers, impression))
            assert outcome.subject is not None
            reference = outcome.subject.reference
        return reference, transmission.transmit(s, OFFICER, reference).tcn


def sent_while_down(national: LocalNode, eurodac: LocalNode, fingers: list[int],
                    attempts: int) -> tuple[str, str]:
    """Stop the central system, enrol and transmit, and wait until the national node has
    tried to deliver `attempts` times (the transaction waits in its outbox)."""
    eurodac.stop()
    reference, tcn = enrol_and_send(national, fingers, 1)
    wait_until(f"{attempts} failed delivery attempts", lambda: rows(
        national, "SELECT attempts FROM exchange_outbox WHERE conversation = ? AND "
        "state = 'pending' AND attempts >= ?", transmission.conversation(reference), attempts),
        30)
    return reference, tcn


def central_count(eurodac: LocalNode, reference: str) -> tuple[int, int]:
    """(records, transactions) the central system holds for a reference number."""
    [(records,)] = rows(eurodac, "SELECT count(*) FROM asylum_central_record "
                        "WHERE reference = ?", reference)
    [(txs,)] = rows(eurodac, "SELECT count(*) FROM asylum_central_transaction "
                    "WHERE reference = ?", reference)
    return int(records), int(txs)


@pytest.mark.slow
@pytest.mark.acceptance
def test_asylum_national_and_central_nodes_no_hit_hit_and_resend(
        nodes: tuple[LocalNode, LocalNode]) -> None:
    national, eurodac = nodes
    first, tcn = enrol_and_send(national, [101, 102, 103], 1)
    result, _, _ = wait_until("the central's answer", answer_of(national, tcn))
    assert result == NO_HIT
    [(transmitted,)] = rows(national, "SELECT transmitted_at FROM asylum_subject "
                            "WHERE reference = ?", first)
    assert transmitted is not None

    second, tcn2 = enrol_and_send(national, [101, 102, 103], 3)
    result, candidates, _ = wait_until("the central's answer", answer_of(national, tcn2))
    assert result == HIT
    assert [(c["reference"], c["member_state"]) for c in json.loads(candidates)] == [(first, "RS")]

    again, tcn3 = enrol_and_send(national, [], 0, reference=first)
    assert again == first and tcn3 == f"{first}T002"
    result, candidates, _ = wait_until("the answer to the resend", answer_of(national, tcn3))
    assert result == HIT and json.loads(candidates)[0]["reference"] == second
    assert central_count(eurodac, first) == (1, 2)  # one subject, two transactions
    [(sends,)] = rows(eurodac, "SELECT transmissions FROM asylum_central_record "
                      "WHERE reference = ?", first)
    assert sends == 2


@pytest.mark.slow
@pytest.mark.acceptance
def test_asylum_central_down_is_retried_and_forgery_and_replay_refused(
        nodes: tuple[LocalNode, LocalNode]) -> None:
    national, eurodac = nodes
    reference, tcn = sent_while_down(national, eurodac, [104, 105], attempts=2)
    eurodac.start()
    result, _, _ = wait_until("the answer after the central came back", answer_of(national, tcn))
    assert result == NO_HIT
    assert central_count(eurodac, reference) == (1, 1)

    # a transaction claiming to be Serbia's, signed with another key: refused and recorded
    forged = Envelope(str(uuid.uuid4()), "RS", CENTRAL, transmission.TRANSACTION,
                      "asylum-forged", 1, clock.now(),
                      {"reference": "RS10000099999", "tcn": "FORGED", "transaction": ""}
                      ).signed_with(Ed25519PrivateKey.generate())
    inbox = f"{eurodac.url}/api/v1/exchange/inbox"
    ack = httpx.post(inbox, json={"messages": [forged.to_dict()]}, timeout=30).json()["acks"]
    assert [(a["status"], a["reason"]) for a in ack] == [("refused", "bad_signature")]
    assert ("bad_signature", "RS") in rows(eurodac, "SELECT reason, claimed_sender "
                                                    "FROM exchange_refusal")
    # the national node's own message posted again (a replay): acknowledged, not taken again
    [(envelope,)] = rows(national, "SELECT envelope FROM exchange_outbox WHERE conversation = ?",
                         transmission.conversation(reference))
    ack = httpx.post(inbox, json={"messages": [json.loads(envelope)]}, timeout=30).json()["acks"]
    assert [a["status"] for a in ack] == ["duplicate"]
    assert central_count(eurodac, reference) == (1, 1)
    assert rows(eurodac, "SELECT count(*) FROM asylum_central_transaction WHERE tcn = 'FORGED'") \
        == [(0,)]


@pytest.mark.slow
@pytest.mark.acceptance
def test_asylum_national_node_killed_mid_send_delivers_once(
        nodes: tuple[LocalNode, LocalNode]) -> None:
    national, eurodac = nodes
    # 1. Killed while its outbox holds the transaction (the central system is down).
    held, tcn = sent_while_down(national, eurodac, [106, 107], attempts=1)
    national.stop(kill=True)
    eurodac.start()
    national.start()
    result, _, _ = wait_until("delivery after the restart", answer_of(national, tcn))
    assert result == NO_HIT
    assert central_count(eurodac, held) == (1, 1)

    # 2. Killed between the send and its acknowledgement: the central system took the
    # transaction (the test posts it as the dead node's worker did) but the national node
    # never recorded the acknowledgement, so it sends it again after the restart.
    national.stop(kill=True)
    lost, tcn = enrol_and_send(national, [108, 109], 1)
    [(envelope,)] = rows(national, "SELECT envelope FROM exchange_outbox WHERE conversation = ? "
                         "AND state = 'pending'", transmission.conversation(lost))
    ack = httpx.post(f"{eurodac.url}/api/v1/exchange/inbox",
                     json={"messages": [json.loads(envelope)]}, timeout=60).json()["acks"]
    assert [a["status"] for a in ack] == ["accepted"]
    assert central_count(eurodac, lost) == (1, 1)
    national.start()
    assert delivered_once(national, eurodac, lost, tcn) == NO_HIT

    # 3. Killed for real while the central system takes the transaction: the national
    # node's worker waits for the acknowledgement, which comes after the central system
    # compared the prints, and the kill lands in between.
    racing, tcn = enrol_and_send(national, [106, 107, 110, 104, 105, 103], 2)  # held's 1, 2
    conversation = transmission.conversation(racing)
    deadline = time.monotonic() + 30
    while not rows(eurodac, "SELECT 1 FROM exchange_inbox WHERE conversation = ?", conversation):
        assert time.monotonic() < deadline, "the central system never got the transaction"
        time.sleep(0.02)
    national.stop(kill=True)
    assert rows(national, "SELECT state FROM exchange_outbox WHERE conversation = ?",
                conversation) == [("pending",)]  # the acknowledgement was lost with it
    national.start()
    assert delivered_once(national, eurodac, racing, tcn) == HIT


def delivered_once(national: LocalNode, eurodac: LocalNode, reference: str, tcn: str) -> str:
    """After the national node's restart: its transaction delivered, taken once by the
    central system, answered once, the answer recorded once; returns the result."""
    conversation = transmission.conversation(reference)
    result, _, _ = wait_until("the answer after the restart", answer_of(national, tcn))
    wait_until("the resent transaction acknowledged", lambda: rows(
        national, "SELECT 1 FROM exchange_outbox WHERE conversation = ? AND state = "
        "'delivered'", conversation), 30)
    assert central_count(eurodac, reference) == (1, 1)  # sent twice, taken once
    assert rows(eurodac, "SELECT count(*) FROM exchange_inbox WHERE conversation = ?",
                conversation) == [(1,)]
    assert rows(national, "SELECT count(*) FROM exchange_inbox WHERE conversation = ?",
                conversation) == [(1,)]
    assert rows(national, "SELECT count(*) FROM asylum_transmission WHERE reference = ? AND "
                "answered_at IS NOT NULL", reference) == [(1,)]
    [(transmitted,)] = rows(national, "SELECT transmitted_at FROM asylum_subject "
                            "WHERE reference = ?", reference)
    assert transmitted is not None
    return str(result)
