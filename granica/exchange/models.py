"""Tables of the exchange: what waits to be delivered, what was received, where each
conversation stands, and what was refused."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base

# States of an outgoing message.
PENDING = "pending"  # waiting for the recipient's acknowledgement (retried)
DELIVERED = "delivered"  # acknowledged (accepted, or already held there)
REFUSED = "refused"  # the recipient refused it for good (its reason is kept)

# States of an incoming message.
HELD = "held"  # stored, waiting for the messages before it in its conversation
HANDLED = "handled"  # given to its handler
FAILED = "failed"  # its handler raised: stored with the error for an operator


class OutboxMessage(Base):
    __tablename__ = "exchange_outbox"
    __table_args__ = (
        sa.UniqueConstraint("recipient", "conversation", "seq"),
        sa.Index("ix_exchange_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(64))
    conversation: Mapped[str] = mapped_column(sa.String(128), index=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime]
    envelope: Mapped[str] = mapped_column(sa.Text)  # the signed JSON, sent as it is
    state: Mapped[str] = mapped_column(sa.String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)


class InboxMessage(Base):
    __tablename__ = "exchange_inbox"
    __table_args__ = (sa.UniqueConstraint("sender", "conversation", "seq"),
                      sa.Index("ix_exchange_inbox_state", "state", "received_at"))

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    sender: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(64))
    conversation: Mapped[str] = mapped_column(sa.String(128), index=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime]
    envelope: Mapped[str] = mapped_column(sa.Text)  # as received, signature included
    state: Mapped[str] = mapped_column(sa.String(12), default=HELD)
    handled_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)


class Conversation(Base):
    """Where one conversation with one peer stands: the next number this node gives a
    message to it (`next_out`) and the next one it hands to a handler (`next_in`)."""

    __tablename__ = "exchange_conversation"

    peer: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    conversation: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    next_out: Mapped[int] = mapped_column(sa.BigInteger, default=1)
    next_in: Mapped[int] = mapped_column(sa.BigInteger, default=1)


class Refusal(Base):
    """A message this node refused (unknown sender, bad signature, too old, malformed)."""

    __tablename__ = "exchange_refusal"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    claimed_sender: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    kind: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    reason: Mapped[str] = mapped_column(sa.String(40))
    detail: Mapped[str] = mapped_column(sa.String(500))
    remote: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
