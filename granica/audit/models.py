"""Tables of the append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base


class AuditHead(Base):
    """One row: the chain's last sequence number and hash. Updating it first serialises
    writers on both databases, so two transactions can never fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(sa.String(64))


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime]
    user_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    username: Mapped[str] = mapped_column(sa.String(100))
    agency: Mapped[str] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(300))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    query: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    result_count: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="ok")
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


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
