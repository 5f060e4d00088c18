"""Deleting audit rows past the retention period, leaving a signed checkpoint in their place."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from granica import clock
from granica.audit.models import AuditCheckpoint, AuditEntry, AuditSubjectIndex
from granica.audit.service import record
from granica.audit.signing import read_anchors, sign_checkpoint, sign_head
from granica.audit.verify import verify_in
from granica.auth.principal import system_principal
from granica.errors import ConflictError
from granica.settings import get_settings
from granica.storage import Database


@dataclass
class PruneResult:
    rows_pruned: int
    pruned_through_seq: int | None
    cutoff: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def prune(db: Database) -> PruneResult:
    """Delete the oldest rows older than `settings.audit_retention_days`.

    Only a prefix of the chain goes (rows stay in sequence order), and only when
    the chain verifies: pruning a tampered log would destroy the evidence. The
    last pruned row's hash is kept in a signed AuditCheckpoint, from which
    `verify()` continues.
    """
    cutoff = clock.now() - dt.timedelta(days=get_settings().audit_retention_days)
    anchors = read_anchors()
    with db.session() as s:
        checked = verify_in(s, anchors)
        if not checked.ok:
            raise ConflictError(f"the audit chain does not verify ({checked.message}); pruning "
                                "would destroy the evidence, so nothing was deleted")
        first_young = s.scalar(sa.select(sa.func.min(AuditEntry.seq))
                               .where(AuditEntry.occurred_at >= cutoff))
        old = sa.select(sa.func.max(AuditEntry.seq), sa.func.count()).where(
            AuditEntry.occurred_at < cutoff)
        if first_young is not None:
            old = old.where(AuditEntry.seq < first_young)
        through, count = s.execute(old).one()
        if through is None or not count:
            return PruneResult(0, None, cutoff.isoformat())
        last = s.get(AuditEntry, through)
        assert last is not None
        now = clock.now()
        s.add(AuditCheckpoint(created_at=now, pruned_through_seq=through,
                              pruned_through_hash=last.row_hash, rows_pruned=int(count),
                              signature=sign_checkpoint(through, last.row_hash, int(count), now)))
        s.execute(sa.delete(AuditSubjectIndex).where(AuditSubjectIndex.seq <= through))
        s.execute(sa.delete(AuditEntry).where(AuditEntry.seq <= through))
        record(s, system_principal("audit retention"), "audit.prune",
               purpose="retention period of the audit log", subject_type="audit",
               result_count=int(count),
               details={"pruned_through_seq": int(through), "cutoff": cutoff.isoformat()})
    # the new head (with the prune row) is signed at once, so the anchors cover it
    sign_head(db)
    return PruneResult(int(count), int(through), cutoff.isoformat())
