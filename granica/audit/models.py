"""Tables of the append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base


class AuditHead(Base):
    """One row: the chain's last sequence number and hash. Only the appender (and a row
    chained at once) locks it, so the chain never forks and writers never wait on it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64))


class _AuditFields:
    """What an audit row says: who, what, when, why and with what result."""

    occurred_at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(sa.String(100))
    agency: Mapped[str] = mapped_column(sa.String(40))
    purpose: Mapped[str] = mapped_column(sa.String(300))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    query: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    result_count: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="ok")
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)


class AuditEntry(_AuditFields, Base):
    """A chained row: its place in the chain (seq), its predecessor's hash and its own."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditPending(_AuditFields, Base):
    """An audit row written in its act's transaction and not chained yet: the appender moves
    it into audit_log (with its audit_subject rows) in commit order, off the request path.
    `seal` hashes every field, so a pending row edited before it is chained is seen."""

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                    primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))  # no indexes: rows stay moments
    action: Mapped[str] = mapped_column(sa.String(80))
    seal: Mapped[str] = mapped_column(sa.String(64))


class AuditSubjectIndex(Base):
    """Which audit rows concern which subject (alert, person, check): the DPO's lookup."""

    __tablename__ = "audit_subject"

    seq: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("audit_log.seq", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)


class AuditCheckpoint(Base):
    """What pruning removed: the last pruned row's hash, signed, so the rest still verifies."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime]
    pruned_through_seq: Mapped[int] = mapped_column(sa.BigInteger)
    pruned_through_hash: Mapped[str] = mapped_column(sa.String(64))
    rows_pruned: Mapped[int] = mapped_column(sa.Integer)
    signature: Mapped[str] = mapped_column(sa.String(200))


class AuditAnchorHead(Base):
    """One row: the newest line of the anchors file (its number and digest), so that a
    truncated, deleted or replaced anchors file no longer matches what the database saw
    signed. Written by the signer only, never by the writers of the chain."""

    __tablename__ = "audit_anchor_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    anchors: Mapped[int] = mapped_column(sa.BigInteger)
    digest: Mapped[str] = mapped_column(sa.String(64))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    signed_at: Mapped[str] = mapped_column(sa.String(40))
