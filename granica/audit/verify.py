"""Checking the audit log: every row's hash, the sequence, the head, checkpoints and signed anchors.

`verify()` recomputes the chain from its first row (or from the newest signed
pruning checkpoint), and names the first row that was changed, removed or
inserted out of order. Signed anchors catch a database administrator who
recomputed the whole chain after changing a row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from granica import clock
from granica.audit.chain import GENESIS, fields_of, row_hash, seal
from granica.audit.models import (
    AuditAnchorHead,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    AuditPending,
    AuditSubjectIndex,
)
from granica.audit.signing import Anchor, chain_problem, check_checkpoint, read_anchors
from granica.storage import Database


@dataclass
class VerifyResult:
    ok: bool = True
    rows_checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_seq: int = 0
    checkpoint_seq: int | None = None
    anchors_checked: int = 0
    index_rows_checked: int = 0  # audit_subject rows matched against their row's subject_ids
    anchors_in_file: int = 0
    anchor_head: int | None = None  # the anchors file's newest line as the database noted it
    # the unprotected window: rows a rewrite could still change unnoticed by the anchors
    last_anchor_seq: int | None = None
    last_anchor_at: str | None = None
    seconds_since_last_anchor: float | None = None
    unanchored_rows: int = 0
    unanchored_since: str | None = None  # when the oldest row not covered by an anchor was written
    unanchored_seconds: float = 0.0
    # rows written and committed but not chained yet (the appender's backlog); counted in the
    # unprotected window above
    pending_rows: int = 0
    pending_oldest_seconds: float | None = None
    first_bad_seq: int | None = None
    problem: str | None = None  # changed | removed | inserted | rewritten | anchor_signature | ...
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, problem: str, message: str) -> VerifyResult:
        self.ok = False
        self.first_bad_seq = seq
        self.problem = problem
        self.message = message
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fields(row: Any) -> dict[str, Any]:
    """The chained fields of an audit row (ORM object or plain row), as `record()` hashed them."""
    return fields_of(row, row.seq)


_BATCH = 2000


def _rows_with_index(session: Session) -> Iterator[tuple[Any | None, set[str]]]:
    """Every audit row in sequence order with the subject ids that audit_subject holds for it,
    read in batches by sequence range. Index rows that belong to no audit row come last, as
    (None, their sequence numbers)."""
    log = cast(sa.Table, AuditEntry.__table__)
    index = cast(sa.Table, AuditSubjectIndex.__table__)
    after: int | None = None
    while True:
        stmt = sa.select(log).order_by(log.c.seq).limit(_BATCH)
        if after is not None:
            stmt = stmt.where(log.c.seq > after)
        rows = session.execute(stmt).all()
        if not rows:
            break
        upto = int(rows[-1].seq)
        in_range = sa.select(index.c.seq, index.c.subject_id).where(index.c.seq <= upto)
        if after is not None:
            in_range = in_range.where(index.c.seq > after)
        held: dict[int, set[str]] = defaultdict(set)
        for seq, subject_id in session.execute(in_range):
            held[int(seq)].add(str(subject_id))
        for row in rows:
            yield row, held.pop(int(row.seq), set())
        if held:  # index rows inside the range whose audit row is gone
            yield _orphans(held)
            return
        after = upto
    beyond = sa.select(index.c.seq).distinct()
    if after is not None:
        beyond = beyond.where(index.c.seq > after)
    stray = [int(seq) for seq in session.scalars(beyond.order_by(index.c.seq).limit(10))]
    if stray:
        yield _orphans({seq: set() for seq in stray})


def _orphans(held: dict[int, set[str]]) -> tuple[None, set[str]]:
    return None, {str(seq) for seq in sorted(held)}


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")


def _index_problem(seq: int, subject_ids: list[str] | None, indexed: set[str]
                   ) -> tuple[str, str] | None:
    """What is wrong with row `seq`'s audit_subject rows (the DPO report's lookup), if anything."""
    hashed = {str(i) for i in subject_ids or []}
    missing, extra = sorted(hashed - indexed), sorted(indexed - hashed)
    if missing:
        return "index_removed", (
            f"row {seq}'s subject index lost {len(missing)} of its {len(hashed)} subjects "
            f"({_listed(missing)}): audit_subject rows were deleted, so the DPO's "
            "subject-access report no longer shows this access")
    if extra:
        return "index_inserted", (
            f"row {seq}'s subject index names {_listed(extra)}, which the row's hashed "
            "subject_ids do not: audit_subject rows were added or rewritten")
    return None


def verify(db: Database, *, anchors_file: Path | None = None) -> VerifyResult:
    """Verify the whole log in one consistent snapshot of the database."""
    anchors = read_anchors(anchors_file)
    if db.dialect == "sqlite":
        # A deferred transaction is a consistent WAL snapshot that does not take the write
        # lock, so writers carry on while a long log is verified (the node's own engine
        # begins every transaction IMMEDIATE).
        engine = sa.create_engine(db.url, poolclass=NullPool,
                                  connect_args={"check_same_thread": False,
                                                "isolation_level": None})
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN DEFERRED"))
        try:
            with Session(engine) as s:
                return verify_in(s, anchors, anchors_file)
        finally:
            engine.dispose()
    with db.session() as s:
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return verify_in(s, anchors, anchors_file)


def _anchor_head_problem(session: Session, anchors: list[Anchor], anchors_file: Path | None,
                         result: VerifyResult) -> tuple[str, str] | None:
    """Whether the anchors file still holds the newest anchor the database saw signed."""
    head = session.get(AuditAnchorHead, 1)
    if head is None:
        if any(a.n is not None for a in anchors):
            result.warnings.append("the database holds no anchor head (its audit_anchor_head "
                                   "row is missing): the anchors file's end cannot be checked")
        return None
    result.anchor_head = head.anchors
    noted = [a for a in anchors if a.n == head.anchors]
    if not noted:  # a signer may have appended since the file was read: read it once more
        noted = [a for a in read_anchors(anchors_file) if a.n == head.anchors]
    if not noted:
        have = max((a.n or 0 for a in anchors), default=0)
        return "anchors_missing", (
            f"the anchors file lost its end: the database saw anchor {head.anchors} (row "
            f"{head.seq}, signed at {head.signed_at}) but the file holds "
            + (f"only {have} chained anchors" if anchors else "none (it was deleted or emptied)")
            + "; the rows those anchors protected can no longer be told from rewritten ones")
    if noted[0].digest != head.digest:
        return "anchors_replaced", (
            f"anchor {head.anchors} in the anchors file (line {noted[0].line}) is not the one "
            f"signed at {head.signed_at}: the anchors file was replaced or re-signed")
    return None


def verify_in(session: Session, anchors: list[Anchor], anchors_file: Path | None = None
              ) -> VerifyResult:
    result = VerifyResult(anchors_in_file=len(anchors))
    for anchor in anchors:
        if not anchor.valid:
            return result.fail(anchor.seq, "anchor_signature",
                               f"anchors file line {anchor.line} (row {anchor.seq}) has a "
                               f"signature that does not verify with key '{anchor.key_id}': "
                               "the anchors file was edited, or its key is missing from the "
                               "keys folder")
    broken = chain_problem(anchors)
    if broken is not None:
        return result.fail(None, "anchor_chain", broken)
    missing = _anchor_head_problem(session, anchors, anchors_file, result)
    if missing is not None:
        return result.fail(None, *missing)

    # The newest checkpoint is where the remaining chain starts; every checkpoint must be signed.
    checkpoints = session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()
    start_seq, prev = 0, GENESIS
    for cp in checkpoints:
        if not check_checkpoint(cp.pruned_through_seq, cp.pruned_through_hash, cp.rows_pruned,
                                cp.created_at, cp.signature):
            return result.fail(cp.pruned_through_seq, "checkpoint_signature",
                               f"pruning checkpoint {cp.id} (through row {cp.pruned_through_seq}) "
                               "is not signed by this node's audit key: it was forged or altered")
        if cp.pruned_through_seq >= start_seq:
            start_seq, prev = cp.pruned_through_seq, cp.pruned_through_hash
    if checkpoints:
        result.checkpoint_seq = start_seq

    head = session.execute(sa.select(AuditHead.seq, AuditHead.head_hash)
                           .where(AuditHead.id == 1)).first()
    head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    result.head_seq = head_seq

    by_seq: dict[int, list[Anchor]] = defaultdict(list)
    for anchor in anchors:
        by_seq[anchor.seq].append(anchor)
    # anchors inside the pruned range can only be checked at the checkpoint itself
    for anchor in by_seq.get(start_seq, []) if checkpoints else []:
        result.anchors_checked += 1
        if anchor.hash != prev:
            return result.fail(start_seq, "rewritten",
                               f"pruning checkpoint through row {start_seq} does not match the "
                               f"anchor signed at {anchor.signed_at} (line {anchor.line})")
    last_good_anchor = start_seq

    expected = start_seq + 1
    prev_time: dt.datetime | None = None
    newest = max(anchors, key=lambda a: a.seq, default=None)
    first_unanchored = max(newest.seq if newest else 0, start_seq) + 1
    for row, indexed in _rows_with_index(session):
        if row is None:
            seqs = sorted(int(i) for i in indexed)
            return result.fail(seqs[0], "index_inserted",
                               "audit_subject holds index rows for audit rows that do not exist "
                               f"({', '.join(map(str, seqs))}): rows were removed or the index "
                               "was written to directly")
        seq = row.seq
        if result.first_seq is None:
            result.first_seq = seq
        if seq <= start_seq:
            return result.fail(seq, "inserted",
                               f"row {seq} was inserted: rows through {start_seq} were pruned "
                               "under a signed checkpoint, so it cannot belong there")
        if seq > head_seq:
            return result.fail(seq, "inserted",
                               f"row {seq} was inserted out of order: it lies beyond the chain "
                               f"head (row {head_seq}) that every genuine write advances")
        if seq > expected:
            gap = f"row {expected}" if seq == expected + 1 else f"rows {expected} to {seq - 1}"
            return result.fail(expected, "removed",
                               f"{gap} removed: the chain jumps from row {expected - 1} to "
                               f"row {seq}")
        values = _fields(row)
        computed = row_hash(prev, values)
        if computed != row.row_hash or row.prev_hash != prev:
            if row.prev_hash != prev and row_hash(row.prev_hash, values) == row.row_hash:
                return result.fail(seq, "inserted",
                                   f"row {seq} was inserted out of order: its hash is sound but "
                                   f"chains to another predecessor than row {seq - 1}")
            if prev_time is not None and row.occurred_at < prev_time:
                return result.fail(seq, "inserted",
                                   f"row {seq} was inserted out of order with a forged hash: it "
                                   f"is dated {values['occurred_at']}, before row {seq - 1}")
            return result.fail(seq, "changed",
                               f"row {seq} was changed: its content ({row.action} by "
                               f"{row.username} at {values['occurred_at']}) no longer matches "
                               "its hash")
        bad_index = _index_problem(seq, row.subject_ids, indexed)
        if bad_index is not None:
            return result.fail(seq, *bad_index)
        result.index_rows_checked += len(indexed)
        for anchor in by_seq.get(seq, []):
            result.anchors_checked += 1
            if anchor.hash != row.row_hash:
                lo = last_good_anchor + 1
                where = f"row {seq}" if lo == seq else f"rows {lo} to {seq}"
                return result.fail(lo, "rewritten",
                                   f"the chain was rewritten: {where} no longer match the head "
                                   f"signed at {anchor.signed_at} (anchors file line "
                                   f"{anchor.line}); a row in that range was changed and every "
                                   "hash after it recomputed")
            last_good_anchor = seq
        if seq == first_unanchored:
            result.unanchored_since = values["occurred_at"]
        prev, prev_time, expected = row.row_hash, row.occurred_at, seq + 1
        result.rows_checked += 1
    last = expected - 1
    result.last_seq = last if result.rows_checked else None

    if last < head_seq:
        gap = f"row {head_seq}" if last + 1 == head_seq else f"rows {last + 1} to {head_seq}"
        return result.fail(last + 1, "removed",
                           f"{gap} removed from the end of the log (the chain head is at row "
                           f"{head_seq})")
    if head_seq and head_hash != prev:
        return result.fail(last, "changed",
                           f"row {last} does not match the chain head's hash: the last row was "
                           "replaced")
    beyond = [a for a in anchors if a.seq > last]
    if beyond:
        a = beyond[0]
        return result.fail(last + 1, "removed",
                           f"rows after {last} were removed: the anchor signed at {a.signed_at} "
                           f"(line {a.line}) covers row {a.seq}")
    oldest_pending, bad_pending = _pending(session, result)
    if bad_pending is not None:
        return result.fail(None, "pending_changed", bad_pending)
    _window(result, newest, first_unanchored, last, oldest_pending)
    if newest is None and head_seq:
        result.warnings.append("no signed anchor yet: run `granica audit sign` (writes sign "
                               "soon after they commit, and the scheduler when idle); until "
                               "then a rewritten chain cannot be told apart")
    elif newest is not None and last >= first_unanchored:
        result.warnings.append(f"rows {first_unanchored} to {last} are newer than the last "
                               f"signed anchor ({newest.signed_at})")
    result.message = (f"audit chain intact: {result.rows_checked} rows"
                      + (f" after checkpoint {start_seq}" if checkpoints else "")
                      + f", {result.anchors_checked} signed anchors matched")
    return result


# pending rows older than this mean the appender is behind (or no process chains them)
PENDING_LAG_SECONDS = 5.0


def _pending(session: Session, result: VerifyResult) -> tuple[dt.datetime | None, str | None]:
    """Check every pending row's seal; count them. Their oldest time, and what is wrong."""
    table = cast(sa.Table, AuditPending.__table__)
    oldest: dt.datetime | None = None
    after = 0
    while True:
        rows = session.execute(sa.select(table).where(table.c.id > after)
                               .order_by(table.c.id).limit(_BATCH)).all()
        if not rows:
            break
        for row in rows:
            values = fields_of(row, None)
            if seal(values) != row.seal:
                return oldest, (f"pending audit row {row.id} (not chained yet) was changed: its "
                                f"content ({row.action} by {row.username} at "
                                f"{values['occurred_at']}) no longer matches its seal")
            result.pending_rows += 1
            if oldest is None or row.occurred_at < oldest:
                oldest = row.occurred_at
        after = int(rows[-1].id)
    if oldest is not None:
        age = round((clock.now() - oldest).total_seconds(), 3)
        result.pending_oldest_seconds = age
        if age > PENDING_LAG_SECONDS:
            result.warnings.append(
                f"the audit appender is lagging: {result.pending_rows} committed rows wait to "
                f"be chained, the oldest for {age} s (a `granica serve` process or the "
                "scheduler chains them)")
    return oldest, None


def _window(result: VerifyResult, newest: Anchor | None, first_unanchored: int, last: int,
            oldest_pending: dt.datetime | None = None) -> None:
    """How wide the unprotected window is: rows after the newest anchor (pending rows
    included), and their age."""
    now = clock.now()
    if newest is not None:
        result.last_anchor_seq, result.last_anchor_at = newest.seq, newest.signed_at
        result.seconds_since_last_anchor = round(
            (now - dt.datetime.fromisoformat(newest.signed_at)).total_seconds(), 3)
    result.unanchored_rows = max(0, last - first_unanchored + 1) + result.pending_rows
    if oldest_pending is not None:
        pending_since = oldest_pending.astimezone(dt.UTC).isoformat(timespec="microseconds")
        if result.unanchored_since is None or pending_since < result.unanchored_since:
            result.unanchored_since = pending_since
    if result.unanchored_rows and result.unanchored_since is not None:
        result.unanchored_seconds = round(
            (now - dt.datetime.fromisoformat(result.unanchored_since)).total_seconds(), 3)


def verify_as(session: Session, principal: Any, *, purpose: str) -> VerifyResult:
    """Verify on behalf of a user (API, pages): needs `audit.verify`, and is audited.

    Runs in the caller's session, so that on SQLite it does not wait for its own write lock.
    """
    from granica.audit import service as audit

    audit.require(session, principal, "audit.verify", action="audit.verify",
                  subject_type="audit", purpose=purpose, what="verify the audit chain")
    result = verify_in(session, read_anchors())
    audit.record(session, principal, "audit.verify", purpose=purpose, subject_type="audit",
                 outcome="ok", details={"chain_ok": result.ok, "first_bad_seq": result.first_bad_seq,
                                        "problem": result.problem})
    return result
