"""Tables of the SIRENE Bureau: cases, the forms in and out of each case, their attachments
and the case's notes.

A case is this bureau's file on one alert and one event (a hit, a form received, an alert
entered) with one other bureau. Its `conversation` names it on the link to that bureau: the
reference of the case that started the exchange, so both bureaux file each other's forms
under the same name and the exchange hands them over in order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base

# States of a case.
NEW = "new"
IN_PROGRESS = "in_progress"
WAITING = "waiting"  # for the other bureau's answer
CLOSED = "closed"
STATES = (NEW, IN_PROGRESS, WAITING, CLOSED)

OUT = "out"
IN = "in"


class Case(Base):
    __tablename__ = "sirene_case"
    __table_args__ = (
        sa.UniqueConstraint("counterpart", "conversation"),
        sa.Index("ix_sirene_case_open", "state", "updated_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    conversation: Mapped[str] = mapped_column(sa.String(128))
    counterpart: Mapped[str] = mapped_column(sa.String(16))
    schengen_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    alert_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    alert_category: Mapped[str] = mapped_column(sa.String(40))
    issuing_country: Mapped[str] = mapped_column(sa.String(2))
    origin: Mapped[str] = mapped_column(sa.String(20))  # hit, received, alert, manual
    subject: Mapped[str] = mapped_column(sa.String(300))
    state: Mapped[str] = mapped_column(sa.String(12))
    urgent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    hit_report_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, unique=True)
    assigned_to: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    opened_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")


class Message(Base):
    """One form sent or received. `reference` (header field 002) is unique per sender;
    `due_at` is when the answer is due (set on a request received, and on a request sent
    for the other bureau's answer); `answered_at` when that answer went out or came in."""

    __tablename__ = "sirene_message"
    __table_args__ = (
        sa.UniqueConstraint("sender", "reference"),
        sa.Index("ix_sirene_message_due", "direction", "answered_at", "due_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("sirene_case.id"), index=True)
    direction: Mapped[str] = mapped_column(sa.String(3))
    letter: Mapped[str] = mapped_column(sa.String(1), index=True)
    reference: Mapped[str] = mapped_column(sa.String(40))
    sender: Mapped[str] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(16))
    message_time: Mapped[dt.datetime]  # field 001, as the sender wrote it
    received_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    urgent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    header: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    fields: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    reply_to: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    answered_by: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    notified: Mapped[str] = mapped_column(sa.String(12), default="")  # overdue, escalated
    exchange_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(64))


class Attachment(Base):
    __tablename__ = "sirene_attachment"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("sirene_message.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Note(Base):
    __tablename__ = "sirene_note"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("sirene_case.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]


class Counter(Base):
    """The last number of this bureau's case and form references, per kind and year."""

    __tablename__ = "sirene_counter"

    kind: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class Task(Base):
    """Something to do on a case (ask the issuing authority, send the prints), with its
    deadline and the officer it is given to."""

    __tablename__ = "sirene_task"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("sirene_case.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(1000))
    due_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]
    done_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    done_by: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
