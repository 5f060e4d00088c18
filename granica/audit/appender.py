"""Chaining pending audit rows: one appender, in commit order, off the request path.

`record()` writes an audit row as *pending* (sealed, no place in the chain) in the act's
own transaction, so writers never wait for each other on the chain's head. After each
commit the row is chained: by the serving process's appender thread (woken by the
commit), or inline by the committing session itself when no appender thread runs (CLI,
tests). The scheduler's tick chains whatever a crashed process left pending. Chaining
takes the head lock (a PostgreSQL advisory lock and the head row; SQLite's write lock),
so two processes on one database never fork the chain.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from granica.audit import signing
from granica.audit.chain import GENESIS, fields_of, row_hash, seal
from granica.audit.models import AuditEntry, AuditHead, AuditPending, AuditSubjectIndex
from granica.storage import bulk_insert

log = logging.getLogger("granica.audit")

_HEAD = cast(sa.Table, AuditHead.__table__)
_LOG = cast(sa.Table, AuditEntry.__table__)
_PENDING = cast(sa.Table, AuditPending.__table__)
_INDEX = cast(sa.Table, AuditSubjectIndex.__table__)
_SELECT_HEAD = (sa.select(_HEAD.c.seq, _HEAD.c.head_hash).where(_HEAD.c.id == 1)
                .with_for_update())
_UPDATE_HEAD = (sa.update(_HEAD).where(_HEAD.c.id == 1)
                .values(seq=sa.bindparam("new_seq"), head_hash=sa.bindparam("new_hash")))
_ADVISORY_KEY = 0x6772_6175_6469_74  # "graudit": the chain's head, across processes
BATCH = 2000


def lock_head(conn: sa.Connection) -> tuple[int, str]:
    """Take the chain's head for this transaction; its sequence number and hash."""
    if conn.dialect.name == "postgresql":
        # the advisory lock also covers a database whose head row is not written yet
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    head = conn.execute(_SELECT_HEAD).first()
    if head is None:
        conn.execute(sa.insert(_HEAD).values(id=1, seq=0, head_hash=GENESIS))
        return 0, GENESIS
    return int(head[0]), str(head[1])


def chain_batch(conn: sa.Connection, *, limit: int = BATCH) -> dict[int, int]:
    """Chain up to `limit` pending rows visible to this transaction, in pending order.

    Returns {pending id: seq}. A pending row whose seal no longer matches its fields is left
    pending (chaining it would seal the edit into the chain); `verify` reports it.
    """
    last_seq, prev = lock_head(conn)
    rows = conn.execute(sa.select(_PENDING).order_by(_PENDING.c.id).limit(limit)).all()
    if not rows:
        return {}
    chained: dict[int, int] = {}
    entries: list[dict[str, Any]] = []
    index: list[dict[str, Any]] = []
    for row in rows:
        fields = fields_of(row, None)
        if seal(fields) != row.seal:
            log.error("pending audit row %s does not match its seal: left unchained", row.id)
            continue
        last_seq += 1
        fields["seq"] = last_seq
        digest = row_hash(prev, fields)
        entries.append({**fields, "occurred_at": row.occurred_at, "prev_hash": prev,
                        "row_hash": digest})
        index.extend({"seq": last_seq, "subject_id": str(sid)} for sid in row.subject_ids or [])
        chained[int(row.id)] = last_seq
        prev = digest
    if entries:
        conn.execute(sa.insert(_LOG), entries)
        bulk_insert(conn, _INDEX, index)  # an import's one row can name 20,000 subjects
        conn.execute(sa.delete(_PENDING).where(_PENDING.c.id.in_(list(chained))))
        conn.execute(_UPDATE_HEAD, {"new_seq": last_seq, "new_hash": prev})
    return chained


def chain_pending(engine: sa.Engine) -> int:
    """Chain every committed pending row, one transaction per batch. The number chained."""
    total = 0
    while True:
        with Session(engine) as s, s.begin():
            done = chain_batch(s.connection())
        total += len(done)
        if len(done) < BATCH:
            return total


class Appender:
    """The serving process's appender thread: chains after each commit it is woken by, and
    every `interval` seconds in any case. Signs the head when signing is due."""

    def __init__(self, engine: sa.Engine, interval: float = 1.0) -> None:
        self.engine = engine
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._waiting: signing.Waiting | None = None
        self._thread: threading.Thread | None = None

    def wake(self, waiting: signing.Waiting) -> None:
        with self._lock:
            if self._waiting is None:
                self._waiting = waiting
            else:
                self._waiting.rows += waiting.rows
        self._wake.set()

    def run_once(self) -> int:
        with self._lock:
            waiting, self._waiting = self._waiting, None
        try:
            done = chain_pending(self.engine)
        except Exception:
            log.exception("chaining pending audit rows failed; retried at the next wake")
            if waiting is not None:
                self.wake(waiting)
            return 0
        if waiting is not None:
            signing.rows_committed(self.engine, waiting)
        return done

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self.run_once()
        self.run_once()  # what was committed before the stop

    def start(self) -> Appender:
        with _registry_lock:
            _appenders[self.engine] = self
        self._thread = threading.Thread(target=self._loop, name="granica-audit-appender",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread (after a last run); later commits chain inline again."""
        with _registry_lock:
            if _appenders.get(self.engine) is self:
                del _appenders[self.engine]
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


_appenders: dict[sa.Engine, Appender] = {}
_registry_lock = threading.Lock()


def start_appender(engine: sa.Engine, interval: float = 1.0) -> Appender:
    return Appender(engine, interval).start()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # a savepoint released: its rows are not committed yet (and on SQLite the transaction
        # holds the write lock, which chaining in a new session would wait for)
        return
    waiting = signing.take_waiting(session)
    if waiting is None:
        return
    bind = session.get_bind()
    if not isinstance(bind, sa.Engine):
        return  # a session on a connection: the scheduler's tick chains its rows
    appender = _appenders.get(bind)
    if appender is not None:
        appender.wake(waiting)
        return
    _inline(bind, waiting)


class _InlineState:
    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.running = False
        self.again = False
        self.waiting: signing.Waiting | None = None


_inline_states: weakref.WeakKeyDictionary[sa.Engine, _InlineState] = weakref.WeakKeyDictionary()


def _inline(engine: sa.Engine, waiting: signing.Waiting) -> None:
    """Chain in the committing thread. One thread of the process chains at a time: a commit
    that finds one at work leaves its rows to it (it runs once more, in a snapshot that sees
    them), so concurrent requests do not queue on the head lock one behind the other."""
    with _registry_lock:
        state = _inline_states.setdefault(engine, _InlineState())
    with state.guard:
        state.again = True
        if state.waiting is None:
            state.waiting = waiting
        else:
            state.waiting.rows += waiting.rows
        if state.running:
            return
        state.running = True
    try:
        while True:
            with state.guard:
                if not state.again:
                    state.running = False
                    return
                state.again, taken, state.waiting = False, state.waiting, None
            chain_pending(engine)
            if taken is not None:
                signing.rows_committed(engine, taken)
    except Exception:  # the act is committed: its rows stay pending for the next run
        with state.guard:
            state.running = False
        log.exception("chaining audit rows after a commit failed; they stay pending")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint rolled back: the rest still stands
        signing.take_waiting(session)
