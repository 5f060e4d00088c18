"""Writing the audit log: every read, search and change of personal data, in the act's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit.chain import GENESIS, row_hash
from granica.audit.models import AuditEntry, AuditHead, AuditSubjectIndex
from granica.audit.signing import note_row
from granica.auth.principal import Principal

# Statements built once: constructing them per row cost more than running them.
# Core statements on the session's own connection also skip the ORM's per-row flush
# bookkeeping, which made appends slow down as a long transaction (an import) grew.
_HEAD = cast(sa.Table, AuditHead.__table__)
_SELECT_HEAD = (sa.select(_HEAD.c.seq, _HEAD.c.head_hash).where(_HEAD.c.id == 1)
                .with_for_update())
_INSERT_ROW = sa.insert(cast(sa.Table, AuditEntry.__table__))
_INSERT_SUBJECT = sa.insert(cast(sa.Table, AuditSubjectIndex.__table__))
_INDEX_CHUNK = 1000
_UPDATE_HEAD = (sa.update(_HEAD).where(_HEAD.c.id == 1)
                .values(seq=sa.bindparam("new_seq"), head_hash=sa.bindparam("new_hash")))


def _iso(ts: Any) -> str:
    return str(ts.isoformat(timespec="microseconds"))


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
) -> AuditEntry:
    """Append one row to the chain inside the caller's transaction.

    `action` is a dotted verb ("alerts.search", "alerts.read", "alerts.create"),
    `outcome` is "ok", "denied" or "error". If the act's transaction rolls back,
    so does its audit row; for denials the caller records in a transaction that commits.
    """
    conn = session.connection()
    # Locking the head row first serialises concurrent writers (row lock on PostgreSQL; on
    # SQLite the transaction already holds the write lock), so the chain never forks.
    head = conn.execute(_SELECT_HEAD).first()
    if head is None:
        conn.execute(sa.insert(_HEAD).values(id=1, seq=0, head_hash=GENESIS))
        last_seq, prev = 0, GENESIS
    else:
        last_seq, prev = int(head[0]), str(head[1])
    seq = last_seq + 1
    ids = sorted({str(i) for i in subject_ids})
    now = clock.now()
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": _iso(now),
        "user_id": principal.user_id,
        "username": principal.username,
        "agency": principal.agency,
        "action": action,
        "purpose": purpose[:300],
        "subject_type": subject_type,
        "subject_ids": ids,
        "query": query,
        "result_count": result_count,
        "outcome": outcome,
        "details": details,
    }
    digest = row_hash(prev, fields)
    values: dict[str, Any] = {**fields, "occurred_at": now, "prev_hash": prev,
                              "row_hash": digest}
    conn.execute(_INSERT_ROW, values)
    # every id is indexed (the DPO's subject-access report reads only this index), in chunks
    # so that a bulk act's row does not build one statement of unbounded size
    for start in range(0, len(ids), _INDEX_CHUNK):
        conn.execute(_INSERT_SUBJECT, [{"seq": seq, "subject_id": sid}
                                       for sid in ids[start:start + _INDEX_CHUNK]])
    conn.execute(_UPDATE_HEAD, {"new_seq": seq, "new_hash": digest})
    note_row(session, now)  # signed into the anchors file soon after the commit
    # a detached copy for the caller (its seq and hash); the row itself is already written
    return AuditEntry(**values)


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
