"""Sending, receiving and delivering messages between nodes.

Sending: `send()` signs a message and puts it in the outbox inside the caller's
transaction, so a message exists exactly when the act that sends it committed.
Each message gets the next number of its conversation with that peer.

Receiving: `receive()` refuses what it cannot trust (unknown sender, bad signature,
wrong recipient, too old, malformed, a kind no handler takes), records each refusal,
stores each new message once (its id; a message sent again is acknowledged as a
duplicate and not handled again) and acknowledges only what it committed. Then
`handle_held()` gives the messages of each conversation to their handlers in number
order: one that arrived early waits for those before it.

Delivering: `deliver_due()` posts the due messages of each peer in batches and marks
what the peer acknowledged; a peer that is down or answers badly is tried again
after a back-off that doubles up to a ceiling (`exchange_retry_*` settings).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import importlib.util
import json
import logging
import pkgutil
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

import granica
from granica import clock
from granica.audit import signing
from granica.auth.principal import Principal, require
from granica.errors import ValidationError
from granica.exchange import models as m
from granica.exchange.envelope import (
    KIND,
    MAX_CONVERSATION,
    Envelope,
    EnvelopeError,
    canonical,
    iso,
    parse,
)
from granica.exchange.keys import signing_key
from granica.exchange.peers import peer, peers
from granica.settings import get_settings
from granica.storage import Database

log = logging.getLogger("granica.exchange")

MAX_BODY_BYTES = 16 * 1024 * 1024  # a SIRENE message: up to 10 MB of attachments, base64
MONITOR = "exchange.monitor"
PING = "exchange.ping"
PONG = "exchange.pong"
LOAD = "exchange.load"  # a link load test: recorded on arrival, not answered

Handler = Callable[[Session, Envelope], None]
_handlers: dict[str, Handler] = {}
_loaded = False
_load_lock = threading.Lock()
_wake = threading.Event()  # set when a transaction that sent something committed
_WAKES = "exchange_wakes"  # the session's note that it sent something


# --- handlers -----------------------------------------------------------------------


def register_handler(kind: str, handler: Handler) -> None:
    """Give messages of `kind` to `handler(session, envelope)`, inside the transaction
    that marks them handled; domains call this from their `messages.py`."""
    if not KIND.match(kind):
        raise ValueError(f"message kind {kind!r} is not dotted lower-case (sirene.form)")
    _handlers[kind] = handler


def handlers() -> dict[str, Handler]:
    """Every handler: the exchange's own, and those of each domain's `messages.py`."""
    global _loaded
    with _load_lock:
        if not _loaded:
            register_handler(PING, _answer_ping)
            register_handler(PONG, _note_arrival)
            register_handler(LOAD, _note_arrival)
            for module in _message_modules():
                importlib.import_module(module)
            _loaded = True
    return dict(_handlers)


def _message_modules() -> list[str]:
    def has(package: str, module: str) -> bool:
        return importlib.util.find_spec(f"granica.{package}.{module}") is not None

    return [f"granica.{p.name}.messages" for p in sorted(pkgutil.iter_modules(granica.__path__),
                                                         key=lambda p: p.name)
            if p.ispkg and has(p.name, "messages") and has(p.name, "service")]


def _answer_ping(session: Session, envelope: Envelope) -> None:
    send(session, envelope.sender, PONG, envelope.conversation,
         {"ping": envelope.id, "ping_seq": envelope.seq, "received_at": iso(clock.now())})


def _note_arrival(session: Session, envelope: Envelope) -> None:
    """A link test answered, or load-test traffic: the inbox row is the record."""


# --- sending ------------------------------------------------------------------------


def send(session: Session, recipient: str, kind: str, conversation: str,
         body: dict[str, Any]) -> m.OutboxMessage:
    """Sign a message to `recipient` and queue it in the caller's transaction.

    The caller has checked its own permissions (a SIRENE operator sending a form);
    the exchange checks the recipient, the kind, the conversation and the size."""
    settings = get_settings()
    if recipient == settings.bureau_code:
        raise ValidationError(f"{recipient} is this node; a message goes to another node",
                              field="recipient")
    target = peer(recipient)
    if not KIND.match(kind):
        raise ValidationError(f"message kind {kind!r} must be dotted lower-case, such as "
                              "sirene.form", field="kind")
    if not 1 <= len(conversation) <= MAX_CONVERSATION:
        raise ValidationError(f"a conversation is named by 1 to {MAX_CONVERSATION} characters",
                              field="conversation")
    try:
        size = len(canonical(body))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"the message body is not JSON ({exc})", field="body") from exc
    if size > MAX_BODY_BYTES:
        raise ValidationError(f"the message body is {size:,} bytes; at most {MAX_BODY_BYTES:,} "
                              "may be sent (send attachments in several messages)", field="body")
    seq = _next_out(session, target.code, conversation)
    now = clock.now()
    envelope = Envelope(str(uuid.uuid4()), settings.bureau_code, target.code, kind,
                        conversation, seq, now, body).signed_with(signing_key())
    row = m.OutboxMessage(
        id=envelope.id, recipient=target.code, kind=kind, conversation=conversation, seq=seq,
        created_at=now, envelope=json.dumps(envelope.to_dict(), ensure_ascii=False),
        state=m.PENDING, attempts=0, next_attempt_at=now,
    )
    session.add(row)
    session.info[_WAKES] = True
    if not session.info.get("exchange_listens"):
        session.info["exchange_listens"] = True
        sa.event.listen(session, "after_commit", _after_commit)
    return row


def _after_commit(session: Session) -> None:
    # a savepoint's release fires this too: wake the worker only when the messages committed
    if not session.in_nested_transaction() and session.info.pop(_WAKES, None):
        _wake.set()


def wait_for_work(timeout: float) -> None:
    """Block until something was sent in this process or `timeout` seconds passed."""
    _wake.wait(timeout)
    _wake.clear()


_CONVERSATION = cast(sa.Table, m.Conversation.__table__)
_INBOX = cast(sa.Table, m.InboxMessage.__table__)

_ONE_PLACE = sa.and_(_CONVERSATION.c.peer == sa.bindparam("p"),
                     _CONVERSATION.c.conversation == sa.bindparam("c"))
_SELECT_NEXT_IN = sa.select(_CONVERSATION.c.next_in).where(_ONE_PLACE).with_for_update()
# Where handling stands: set to the bound value `n`.
_MOVE_IN = sa.update(_CONVERSATION).where(_ONE_PLACE).values(next_in=sa.bindparam("n"))
# The next number to send, taken in one statement (the UPDATE locks the row on PostgreSQL).
_TAKE_OUT = (sa.update(_CONVERSATION).where(_ONE_PLACE)
             .values(next_out=_CONVERSATION.c.next_out + 1).returning(_CONVERSATION.c.next_out))


@functools.cache
def _create_place(dialect: str) -> Any:
    insert: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return (insert(_CONVERSATION).values(peer=sa.bindparam("p"), conversation=sa.bindparam("c"),
                                         next_out=1, next_in=1).on_conflict_do_nothing())


def _on_place(run: Session | sa.Connection, dialect: str, statement: Any, peer_code: str,
              conversation: str) -> int:
    """`statement`'s one value on a conversation's row, the row created first if it is new;
    the row is locked for this transaction (the row lock on PostgreSQL; SQLite's
    transactions hold the write lock)."""
    where = {"p": peer_code, "c": conversation}
    value = run.execute(statement, where).scalar_one_or_none()
    if value is None:
        run.execute(_create_place(dialect), where)
        value = run.execute(statement, where).scalar_one()
    return int(value)


def _lock_next_in(session: Session, peer_code: str, conversation: str) -> int:
    """The next number of a conversation to hand to a handler."""
    conn = session.connection()  # the exchange's own table: no flush of the session's rows
    return _on_place(conn, conn.dialect.name, _SELECT_NEXT_IN, peer_code, conversation)


def _next_out(session: Session, peer_code: str, conversation: str) -> int:
    """The conversation's next number to send, taken."""
    return _on_place(session, session.get_bind().dialect.name, _TAKE_OUT, peer_code,
                     conversation) - 1


# --- receiving ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    id: str | None
    status: str  # accepted, duplicate, refused
    reason: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
            out["detail"] = self.detail
        return out


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _trusted(raw: Any, now: dt.datetime) -> Envelope:
    """The envelope, if this node may accept it; _Refused says why not."""
    settings = get_settings()
    try:
        envelope = parse(raw)
    except EnvelopeError as exc:
        raise _Refused(exc.reason, str(exc)) from None
    if envelope.recipient != settings.bureau_code:
        raise _Refused("wrong_recipient", f"the message is for {envelope.recipient}; this node "
                       f"is {settings.bureau_code}")
    sender = peers().get(envelope.sender)
    if sender is None:
        raise _Refused("unknown_sender", f"{envelope.sender} is not a configured peer of "
                       f"{settings.bureau_code}")
    if not envelope.signature_holds(sender.public_key):
        raise _Refused("bad_signature", f"the signature does not match {envelope.sender}'s key")
    age = now - envelope.created_at
    if age > dt.timedelta(hours=settings.exchange_max_age_hours):
        raise _Refused("too_old", f"the message was made {age} ago; at most "
                       f"{settings.exchange_max_age_hours:g} hours are accepted")
    if -age > dt.timedelta(seconds=settings.exchange_max_skew_seconds):
        raise _Refused("from_the_future", f"the message is dated {-age} ahead of this node's "
                       "clock; check both nodes' time")
    if envelope.kind not in handlers():
        raise _Refused("unknown_kind", f"this node takes no messages of kind {envelope.kind}")
    if len(canonical(envelope.body)) > MAX_BODY_BYTES:
        raise _Refused("too_large", f"the body is larger than {MAX_BODY_BYTES:,} bytes")
    return envelope


def receive(db: Database, messages: Iterable[Any], remote: str | None = None) -> list[Ack]:
    """Check, store once and acknowledge a batch of messages from peers, then hand
    what is in order to the handlers. One ack per message, in the batch's order."""
    now = clock.now()
    acks: list[Ack | None] = []
    trusted: list[tuple[int, Envelope]] = []
    refusals: list[m.Refusal] = []
    for n, raw in enumerate(messages):
        try:
            envelope = _trusted(raw, now)
        except _Refused as refused:
            claimed = raw if isinstance(raw, dict) else {}
            message_id = _text(claimed.get("id"), 64)
            acks.append(Ack(message_id, "refused", refused.reason, refused.detail))
            refusals.append(m.Refusal(
                received_at=now, message_id=message_id,
                claimed_sender=_text(claimed.get("sender"), 64),
                kind=_text(claimed.get("kind"), 64), reason=refused.reason,
                detail=refused.detail[:500], remote=remote))
            continue
        acks.append(None)
        trusted.append((n, envelope))
    if refusals:
        with db.session() as s:
            s.add_all(refusals)
        for r in refusals:
            log.warning("message refused", extra={"fields": {
                "reason": r.reason, "sender": r.claimed_sender, "id": r.message_id,
                "remote": remote, "detail": r.detail}})
    if trusted:
        for n, ack in _store(db, [e for _, e in trusted], now):
            acks[trusted[n][0]] = ack
        handle_held(db, {(e.sender, e.conversation) for _, e in trusted})
    return [a for a in acks if a is not None]


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _store(db: Database, envelopes: list[Envelope], now: dt.datetime) -> list[tuple[int, Ack]]:
    out: list[tuple[int, Ack]] = []
    rows: list[dict[str, Any]] = []
    with db.session() as s:
        ids = [e.id for e in envelopes]
        seen = dict(s.execute(sa.select(m.InboxMessage.id, m.InboxMessage.sender)
                              .where(m.InboxMessage.id.in_(ids))).all())
        places = {(e.sender, e.conversation, e.seq) for e in envelopes}
        key = sa.tuple_(m.InboxMessage.sender, m.InboxMessage.conversation, m.InboxMessage.seq)
        taken = {
            (row.sender, row.conversation, row.seq): row.id
            for row in s.execute(sa.select(m.InboxMessage.sender, m.InboxMessage.conversation,
                                           m.InboxMessage.seq, m.InboxMessage.id)
                                 .where(key.in_(list(places))))
        }
        for n, e in enumerate(envelopes):
            if e.id in seen:
                if seen[e.id] != e.sender:
                    out.append((n, Ack(e.id, "refused", "id_reused",
                                       "another sender's message has this id")))
                    continue
                # A retry after a lost acknowledgement, or a replay: acknowledged, not handled.
                log.info("message received again", extra={"fields": {
                    "id": e.id, "sender": e.sender, "conversation": e.conversation}})
                out.append((n, Ack(e.id, "duplicate")))
                continue
            place = (e.sender, e.conversation, e.seq)
            if place in taken:
                out.append((n, Ack(e.id, "refused", "sequence_reused",
                                   f"message {e.seq} of conversation {e.conversation} was "
                                   "already received with another id")))
                continue
            taken[place] = e.id
            seen[e.id] = e.sender
            rows.append({"id": e.id, "sender": e.sender, "kind": e.kind,
                         "conversation": e.conversation, "seq": e.seq, "created_at": e.created_at,
                         "received_at": now, "state": m.HELD,
                         "envelope": json.dumps(e.to_dict(), ensure_ascii=False)})
            out.append((n, Ack(e.id, "accepted")))
        if rows:
            s.execute(sa.insert(_INBOX), rows)
    return out


def handle_held(db: Database, conversations: Iterable[tuple[str, str]] | None = None,
                limit: int = 500) -> int:
    """Give held messages to their handlers, each conversation in number order; returns
    how many were handled. `conversations` (sender, conversation) narrows the work.
    Up to `limit` messages of each conversation are handled in one transaction with
    those of up to 100 other conversations."""
    if conversations is None:
        with db.session() as s:
            conversations = set(s.execute(
                sa.select(m.InboxMessage.sender, m.InboxMessage.conversation)
                .where(m.InboxMessage.state == m.HELD).distinct()).all())
    todo = sorted((str(a), str(b)) for a, b in conversations)
    table = handlers()
    done = 0
    while todo:
        chunk, todo = todo[:100], todo[100:]
        with db.session() as s:
            counts = _handle_chunk(s, table, chunk, limit)
        for place, handled in zip(chunk, counts):
            done += handled
            if handled == limit:
                todo.append(place)  # more after these
    return done


class _HandlerFailed(Exception):
    """A handler raised during the optimistic run of a chunk (its exception is the cause)."""


def _handle_chunk(s: Session, table: dict[str, Handler], chunk: list[tuple[str, str]],
                  limit: int) -> list[int]:
    """Handle the held messages of these conversations; how many of each were handled.

    A savepoint per message (so that a failing handler loses none of the others) cost more
    than the handlers themselves; they rarely fail. So the chunk is run first under one
    savepoint, and only if a handler raises (or the flush of what the handlers left) is it
    rolled back and run again with a savepoint per message, the failed one marked FAILED
    with its error. The exchange's own statements here do not flush the session: what the
    handlers left goes to the database once per chunk, unless a handler's query needs it."""
    noted = _noted(s)
    try:
        with s.begin_nested():
            done = _Handled()
            for sender, conversation in chunk:
                _handle_some(s, table, sender, conversation, limit, done, alone=False)
            try:
                s.flush()
            except Exception as exc:
                raise _HandlerFailed() from exc
            return done.record(s)
    except _HandlerFailed as failed:
        log.info("a handler failed; its chunk is handled again message by message",
                 extra={"fields": {"error": repr(failed.__cause__)[:200]}})
        _forget_since(s, noted)
    done = _Handled()
    for sender, conversation in chunk:
        _handle_some(s, table, sender, conversation, limit, done, alone=True)
    return done.record(s)


def _noted(s: Session) -> tuple[int, bool]:
    """What the session noted for after its commit, to forget what a rolled-back savepoint
    adds: its audit rows waiting to be counted for signing, and the delivery worker's wake."""
    return signing.rows_noted(s), bool(s.info.get(_WAKES))


def _forget_since(s: Session, noted: tuple[int, bool]) -> None:
    rows, wakes = noted
    signing.forget_rows_after(s, rows)
    if not wakes:
        s.info.pop(_WAKES, None)


_MARK_HANDLED = (sa.update(_INBOX).where(_INBOX.c.id == sa.bindparam("b_id"))
                 .values(state=sa.bindparam("b_state"), error=sa.bindparam("b_error"),
                         handled_at=sa.bindparam("b_at")))


@dataclass
class _Handled:
    """What a chunk's handling changes in the exchange's tables, written in one statement
    each: the messages' states, and where each conversation stands."""

    counts: list[int] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)

    def record(self, s: Session) -> list[int]:
        conn = s.connection()
        if self.marks:
            conn.execute(_MARK_HANDLED, self.marks)
        if self.moves:
            conn.execute(_MOVE_IN, self.moves)
        return self.counts


def _handle_some(s: Session, table: dict[str, Handler], sender: str, conversation: str,
                 limit: int, done: _Handled, *, alone: bool) -> None:
    """Handle a conversation's held messages in number order, noting in `done` how many,
    their states and the conversation's next number. `alone`: each message in a savepoint
    of its own, a failure marked on it; otherwise a failure raises _HandlerFailed."""
    next_in = _lock_next_in(s, sender, conversation)
    held = {row.seq: row for row in s.connection().execute(
        sa.select(_INBOX.c.id, _INBOX.c.seq, _INBOX.c.kind, _INBOX.c.envelope)
        .where(_INBOX.c.sender == sender, _INBOX.c.conversation == conversation,
               _INBOX.c.state == m.HELD, _INBOX.c.seq >= next_in)
        .order_by(_INBOX.c.seq).limit(limit))}
    count = 0
    while next_in in held:
        row = held[next_in]
        envelope = parse(json.loads(row.envelope))
        state, error = m.HANDLED, None
        if not alone:
            try:
                table[row.kind](s, envelope)
            except Exception as exc:
                raise _HandlerFailed() from exc
        else:
            noted = _noted(s)
            try:
                with s.begin_nested():
                    table[row.kind](s, envelope)
            except Exception as exc:  # the message stays, with the error, for an operator
                _forget_since(s, noted)
                log.exception("message handler failed", extra={"fields": {
                    "id": row.id, "kind": row.kind, "sender": sender}})
                state, error = m.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        done.marks.append({"b_id": row.id, "b_state": state, "b_error": error,
                           "b_at": clock.now()})
        next_in += 1
        count += 1
    done.counts.append(count)
    if count:
        done.moves.append({"p": sender, "c": conversation, "n": next_in})


# --- delivering ---------------------------------------------------------------------


class Poster(Protocol):
    """What delivery needs of an HTTP client (httpx.Client has it)."""

    def post(self, url: str, *, content: bytes, headers: dict[str, str],
             timeout: float) -> Any: ...


@dataclass
class DeliveryRound:
    sent: int = 0
    delivered: int = 0
    refused: int = 0
    retried: int = 0
    peers_down: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "delivered": self.delivered, "refused": self.refused,
                "retried": self.retried, "peers_down": self.peers_down}


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt after `attempts` failed ones (with jitter)."""
    settings = get_settings()
    seconds = min(settings.exchange_retry_first_seconds * 2 ** max(attempts - 1, 0),
                  settings.exchange_retry_max_seconds)
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.0))


def deliver_due(db: Database, client: Poster) -> DeliveryRound:
    """One delivery round: the due messages of every peer, a batch each."""
    settings = get_settings()
    now = clock.now()
    result = DeliveryRound()
    due: list[tuple[str, list[tuple[str, str, int]]]] = []
    with db.session() as s:  # one transaction reads the round (on SQLite, the write lock)
        recipients = s.execute(
            sa.select(m.OutboxMessage.recipient)
            .where(m.OutboxMessage.state == m.PENDING, m.OutboxMessage.next_attempt_at <= now)
            .distinct()).scalars().all()
        for recipient in sorted(recipients):
            due.append((recipient, [(str(i), str(env), int(n)) for i, env, n in s.execute(
                sa.select(m.OutboxMessage.id, m.OutboxMessage.envelope, m.OutboxMessage.attempts)
                .where(m.OutboxMessage.recipient == recipient,
                       m.OutboxMessage.state == m.PENDING,
                       m.OutboxMessage.next_attempt_at <= now)
                .order_by(m.OutboxMessage.created_at, m.OutboxMessage.seq)
                .limit(settings.exchange_batch))]))
    for recipient, batch in due:
        if batch:
            _deliver(db, client, recipient, batch, result)
    return result


def _deliver(db: Database, client: Poster, recipient: str,
             batch: list[tuple[str, str, int]], result: DeliveryRound) -> None:
    settings = get_settings()
    result.sent += len(batch)
    acks: dict[str, dict[str, Any]] = {}
    error: str | None = None
    target = peers().get(recipient)
    if target is None:
        error = f"{recipient} is no longer a configured peer"
    else:
        payload = ('{"messages":[' + ",".join(env for _, env, _ in batch) + "]}").encode("utf-8")
        try:
            response = client.post(target.inbox_url, content=payload,
                                   headers={"content-type": "application/json"},
                                   timeout=settings.exchange_timeout_seconds)
            if response.status_code != 200:
                error = f"{recipient} answered HTTP {response.status_code}: {response.text[:200]}"
            else:
                for ack in response.json().get("acks", []):
                    if isinstance(ack, dict) and isinstance(ack.get("id"), str):
                        acks[ack["id"]] = ack
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            # the peer is down, slow, or answered something that is not an acknowledgement
            error = f"{recipient} could not be reached: {type(exc).__name__}: {exc}"[:500]
    if error is not None:
        result.peers_down.append(recipient)
    now = clock.now()
    delivered: list[str] = []
    retry: dict[int, list[str]] = {}
    with db.session() as s:
        for message_id, _env, attempts in batch:
            ack = acks.get(message_id)
            if ack is not None and ack.get("status") in ("accepted", "duplicate"):
                delivered.append(message_id)
            elif ack is not None and ack.get("status") == "refused":
                s.execute(sa.update(m.OutboxMessage).where(m.OutboxMessage.id == message_id)
                          .values(state=m.REFUSED, attempts=attempts + 1,
                                  last_error=f"{ack.get('reason')}: {ack.get('detail')}"[:500]))
                result.refused += 1
                log.warning("message refused by peer", extra={"fields": {
                    "id": message_id, "peer": recipient, "reason": ack.get("reason")}})
            else:
                retry.setdefault(attempts + 1, []).append(message_id)
        if delivered:
            s.execute(sa.update(m.OutboxMessage)
                      .where(m.OutboxMessage.id.in_(delivered), m.OutboxMessage.state == m.PENDING)
                      .values(state=m.DELIVERED, delivered_at=now, last_error=None,
                              attempts=m.OutboxMessage.attempts + 1))
            result.delivered += len(delivered)
        for attempts, ids in retry.items():
            s.execute(sa.update(m.OutboxMessage)
                      .where(m.OutboxMessage.id.in_(ids), m.OutboxMessage.state == m.PENDING)
                      .values(attempts=attempts, next_attempt_at=now + backoff(attempts),
                              last_error=error or f"{recipient} did not acknowledge it"))
            result.retried += len(ids)


# --- state --------------------------------------------------------------------------


def delivery_states(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """The state of each of these sent messages (pending, delivered, refused), by id."""
    wanted = list(ids)
    return {str(i): str(st) for i, st in session.execute(
        sa.select(m.OutboxMessage.id, m.OutboxMessage.state)
        .where(m.OutboxMessage.id.in_(wanted)))} if wanted else {}


def status(session: Session, principal: Principal, conversation: str | None = None
           ) -> dict[str, Any]:
    """Counts by state of what went out and came in, per peer, and the latest refusals
    (permission `exchange.monitor`; no message content)."""
    require(principal, MONITOR, "see the state of the exchange")
    now = clock.now()
    out_q = sa.select(m.OutboxMessage.recipient, m.OutboxMessage.state, sa.func.count(),
                      sa.func.min(m.OutboxMessage.created_at)).group_by(
        m.OutboxMessage.recipient, m.OutboxMessage.state)
    in_q = sa.select(m.InboxMessage.sender, m.InboxMessage.state, m.InboxMessage.kind,
                     sa.func.count()).group_by(m.InboxMessage.sender, m.InboxMessage.state,
                                               m.InboxMessage.kind)
    if conversation is not None:
        out_q = out_q.where(m.OutboxMessage.conversation == conversation)
        in_q = in_q.where(m.InboxMessage.conversation == conversation)
    outgoing: dict[str, dict[str, Any]] = {}
    for recipient, state, count, oldest in session.execute(out_q):
        entry = outgoing.setdefault(recipient, {"pending": 0, "delivered": 0, "refused": 0})
        entry[state] = count
        if state == m.PENDING and oldest is not None:
            entry["oldest_pending_seconds"] = round((now - oldest).total_seconds(), 3)
    incoming: dict[str, dict[str, Any]] = {}
    for sender, state, kind, count in session.execute(in_q):
        entry = incoming.setdefault(sender, {"held": 0, "handled": 0, "failed": 0, "kinds": {}})
        entry[state] += count
        entry["kinds"][kind] = entry["kinds"].get(kind, 0) + count
    refusals = session.execute(sa.select(m.Refusal).order_by(m.Refusal.id.desc()).limit(20)
                               ).scalars().all()
    refused_total = session.execute(sa.select(sa.func.count()).select_from(m.Refusal)).scalar_one()
    return {
        "node": get_settings().bureau_code,
        "peers": sorted(peers()),
        "outgoing": outgoing,
        "incoming": incoming,
        "refused_total": refused_total,
        "refusals": [{"received_at": iso(r.received_at), "reason": r.reason,
                      "claimed_sender": r.claimed_sender, "id": r.message_id, "kind": r.kind,
                      "detail": r.detail, "remote": r.remote} for r in refusals],
    }


def ping(session: Session, principal: Principal, recipient: str, count: int = 1,
         conversation: str | None = None) -> list[str]:
    """Queue `count` link-test messages to a peer, which answers each with a pong
    (permission `exchange.monitor`); returns their ids."""
    require(principal, MONITOR, "test the link to another node")
    if not 1 <= count <= 100_000:
        raise ValidationError("send 1 to 100,000 pings at a time", field="count")
    name = conversation or f"link-test-{clock.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    sent = [send(session, recipient, PING, name, {"n": n}).id for n in range(1, count + 1)]
    return sent

