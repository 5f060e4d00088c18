"""Writing the audit log: every read, search and change of personal data, in the act's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit.appender import chain_batch
from granica.audit.chain import seal
from granica.audit.models import AuditEntry, AuditPending
from granica.audit.signing import note_row
from granica.auth.principal import Principal

# Statements built once: constructing them per row cost more than running them.
# Core statements on the session's own connection also skip the ORM's per-row flush
# bookkeeping, which made appends slow down as a long transaction (an import) grew.
_PENDING = cast(sa.Table, AuditPending.__table__)
_INSERT_PENDING = sa.insert(_PENDING)
_INSERT_PENDING_ID = sa.insert(_PENDING).returning(_PENDING.c.id)


_DEFER_KEY = "granica.audit.deferred"


def _iso(ts: Any) -> str:
    return str(ts.isoformat(timespec="microseconds"))


def pending_row(principal: Principal, action: str, *, purpose: str, subject_type: str,
                **more: Any) -> dict[str, Any]:
    """The values of one pending audit row, dated now and sealed; `more` holds `record`'s
    optional keyword arguments (subject_ids, query, result_count, outcome, details)."""
    now = clock.now()
    fields: dict[str, Any] = {
        "seq": None,
        "occurred_at": _iso(now),
        "user_id": principal.user_id,
        "username": principal.username,
        "agency": principal.agency,
        "action": action,
        "purpose": purpose[:300],
        "subject_type": subject_type,
        "subject_ids": sorted({str(i) for i in more.get("subject_ids", ())}),
        "query": more.get("query"),
        "result_count": more.get("result_count"),
        "outcome": more.get("outcome", "ok"),
        "details": more.get("details"),
    }
    values = {k: v for k, v in fields.items() if k != "seq"}
    values.update(occurred_at=now, seal=seal(fields))
    return values


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    purpose: str,
    subject_type: str,
    subject_ids: Iterable[str] = (),
    query: dict[str, Any] | None = None,
    result_count: int | None = None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    chained: bool = False,
) -> AuditEntry:
    """Write one audit row inside the caller's transaction, as a pending row.

    `action` is a dotted verb ("alerts.search", "alerts.read", "alerts.create"),
    `outcome` is "ok", "denied" or "error". The row (every field, sealed by its content
    hash) commits or rolls back with the act; it takes no lock on the chain's head, and
    the appender gives it its place in the chain after the commit (granica.audit.appender).
    With `chained` (for a caller that cites the row's place, as a DPO export does; the
    transaction then holds the chain's head until it ends) it is chained in this
    transaction, and the returned entry has its seq and hash; otherwise its seq is None. In a session
    given to `defer`, the row (unless a denial) is kept for the caller to write instead.
    """
    values = pending_row(principal, action, purpose=purpose, subject_type=subject_type,
                         subject_ids=subject_ids, query=query, result_count=result_count,
                         outcome=outcome, details=details)
    deferred: list[dict[str, Any]] | None = session.info.get(_DEFER_KEY)
    if deferred is not None and outcome != "denied" and not chained:
        deferred.append(values)
        return _entry(values)
    if not chained:
        write_rows(session, [values])
        return _entry(values)
    conn = session.connection()
    note_row(session, values["occurred_at"])
    pending_id = int(conn.execute(_INSERT_PENDING_ID, values).scalar_one())
    # this transaction's earlier pending rows and every committed one are chained first
    seqs: dict[int, int] = {}
    while True:
        done = chain_batch(conn)
        seqs.update(done)
        if pending_id in seqs or not done:
            break
    seq = seqs[pending_id]
    row = conn.execute(sa.select(AuditEntry.prev_hash, AuditEntry.row_hash)
                       .where(AuditEntry.seq == seq)).one()
    return _entry(values, seq=seq, prev_hash=row[0], row_hash=row[1])


def record_many(session: Session, principal: Principal, entries: list[dict[str, Any]]) -> None:
    """Several audit rows of one act in one statement; each entry holds `record`'s keyword
    arguments (action, purpose, subject_type, ...)."""
    write_rows(session, [pending_row(principal, **entry) for entry in entries])


def write_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert pending rows (from `pending_row`, or kept by `defer`) in this transaction."""
    if not rows:
        return
    session.connection().execute(_INSERT_PENDING, rows)
    for row in rows:  # chained, then signed into the anchors file, after the commit
        note_row(session, row["occurred_at"])


def defer(session: Session) -> list[dict[str, Any]]:
    """From now on, `record()` in this session keeps its rows (sealed, dated when recorded)
    in the returned list instead of writing them; denials are still written at once. For
    reads done on a helper session on behalf of an act whose own transaction then writes
    them (`write_rows`), so that the act and every audit row of it commit together."""
    rows: list[dict[str, Any]] = []
    session.info[_DEFER_KEY] = rows
    return rows


def _entry(values: dict[str, Any], **chain: Any) -> AuditEntry:
    """A detached copy of the written row for the caller."""
    return AuditEntry(**{k: v for k, v in values.items() if k != "seal"}, **chain)


def require(
    session: Session,
    principal: Principal,
    permission: str,
    *,
    action: str,
    subject_type: str,
    subject_ids: Iterable[str] = (),
    purpose: str = "",
    what: str = "",
) -> None:
    """Check a permission; on denial write an audit row that survives, then raise 403.

    The denial row is committed at once (the session has only read so far, so
    nothing else is committed with it): the caller's exception handling rolls
    back anything after, but the record of the attempt stays.
    """
    if principal.can(permission):
        return
    deny(session, principal, permission, action=action, subject_type=subject_type,
         subject_ids=subject_ids, purpose=purpose, what=what)


def deny(
    session: Session,
    principal: Principal,
    permission: str,
    *,
    action: str,
    subject_type: str,
    subject_ids: Iterable[str] = (),
    purpose: str = "",
    what: str = "",
) -> None:
    """Record a refused access and raise PermissionDenied (see `require`).

    Also used where the permission is held but a rule refuses this one subject
    (a category the caller may not see, a foreign alert only its issuer may change).
    """
    from granica.errors import PermissionDenied

    details: dict[str, Any] = {"missing_permission": permission}
    if what:
        details["what"] = what
    record(session, principal, action, purpose=purpose or "(none stated)",
           subject_type=subject_type, subject_ids=subject_ids, outcome="denied",
           details=details)
    session.commit()
    target = what or action
    raise PermissionDenied(
        f"user '{principal.username}' ({principal.agency}) may not {target}: it needs "
        f"permission '{permission}'; ask your supervisor or the system administration",
        permission=permission,
    )
