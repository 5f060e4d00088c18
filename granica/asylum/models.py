"""Tables of the national fingerprint database: data subjects by EURODAC category, their
fingers (a template and the image it came from, or the reason a finger is missing), the
searches run, the candidates they produced, the experts' decisions on them and the
corrections of a subject's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base

# States of a data subject.
ACTIVE = "active"
BLOCKED = "blocked"  # kept, but not returned by searches
ERASED = "erased"  # personal and biometric data removed; the row keeps the reference only

# States of a candidate.
PENDING = "pending"  # waiting for a fingerprint expert
CONFIRMED = "confirmed"  # a hit
REJECTED = "rejected"
INCONCLUSIVE = "inconclusive"
DISPUTED = "disputed"  # the first expert could not decide: a second expert decides
DECISIONS = (CONFIRMED, REJECTED, INCONCLUSIVE)

FLAT = "flat"
ROLLED = "rolled"
IMPRESSIONS = (FLAT, ROLLED)


class Subject(Base):
    __tablename__ = "asylum_subject"
    __table_args__ = (sa.Index("ix_asylum_subject_retention", "state", "retained_until"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # the client's key for this enrolment: a retried request finds the subject it made
    enrolment_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True, nullable=True)
    rules: Mapped[str] = mapped_column(sa.String(8))
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    state: Mapped[str] = mapped_column(sa.String(12), default=ACTIVE)
    surname: Mapped[str] = mapped_column(sa.String(200), default="")
    given_names: Mapped[str] = mapped_column(sa.String(200), default="")
    other_names: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # at birth, aliases
    nationalities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    date_of_birth: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    place_of_birth: Mapped[str] = mapped_column(sa.String(200), default="")
    sex: Mapped[str] = mapped_column(sa.String(1), default="X")
    registration_place: Mapped[str] = mapped_column(sa.String(200), default="")
    registered_at: Mapped[dt.datetime]
    captured_at: Mapped[dt.datetime]
    transmission_due: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    transmitted_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    retained_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    operator: Mapped[str] = mapped_column(sa.String(64))
    document: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    document_scan: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    face: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    marked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    marked_reason: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    blocked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    erasure_reason: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Finger(Base):
    """One finger of a subject, or of a search's probe: the template and the image, or the
    reason it is missing. `quality` is the 0-100 score the enrolment gate read."""

    __tablename__ = "asylum_finger"
    __table_args__ = (sa.UniqueConstraint("subject_id", "search_id", "position", "impression"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    subject_id: Mapped[str | None] = mapped_column(sa.ForeignKey("asylum_subject.id"),
                                                   nullable=True, index=True)
    search_id: Mapped[str | None] = mapped_column(sa.ForeignKey("asylum_search.id"),
                                                  nullable=True, index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    impression: Mapped[str] = mapped_column(sa.String(8))
    template: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    image: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    quality: Mapped[int | None] = mapped_column(sa.SmallInteger, nullable=True)
    minutiae: Mapped[int | None] = mapped_column(sa.SmallInteger, nullable=True)
    missing_reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    captured_at: Mapped[dt.datetime]


class Search(Base):
    """A 1:N search: at an enrolment, or on its own at an authority's documented request."""

    __tablename__ = "asylum_search"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # enrolment | request
    subject_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    purpose: Mapped[str] = mapped_column(sa.String(300))
    case_reference: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    requested_by: Mapped[str] = mapped_column(sa.String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(index=True)
    fingers: Mapped[int] = mapped_column(sa.SmallInteger)
    candidates: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    duration_ms: Mapped[float] = mapped_column(sa.Float, default=0.0)


class Candidate(Base):
    __tablename__ = "asylum_candidate"
    __table_args__ = (sa.Index("ix_asylum_candidate_queue", "state", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    search_id: Mapped[str] = mapped_column(sa.ForeignKey("asylum_search.id"), index=True)
    subject_id: Mapped[str] = mapped_column(sa.ForeignKey("asylum_subject.id"), index=True)
    rank: Mapped[int] = mapped_column(sa.SmallInteger)
    score: Mapped[float] = mapped_column(sa.Float)
    finger_scores: Mapped[dict[str, float]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(12), default=PENDING)
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    reported_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class Decision(Base):
    __tablename__ = "asylum_decision"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(sa.ForeignKey("asylum_candidate.id"), index=True)
    expert: Mapped[str] = mapped_column(sa.String(64))
    decision: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    second_opinion: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    decided_at: Mapped[dt.datetime]


class Correction(Base):
    """A change of a subject's data, with what it was (the history)."""

    __tablename__ = "asylum_correction"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(sa.ForeignKey("asylum_subject.id"), index=True)
    field: Mapped[str] = mapped_column(sa.String(40))
    old_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    corrected_by: Mapped[str] = mapped_column(sa.String(64))
    corrected_at: Mapped[dt.datetime]


class Counter(Base):
    """The last unique part given to a reference-number prefix (country letters + digit)."""

    __tablename__ = "asylum_counter"

    prefix: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class TrainingExercise(Base):
    """One exercise given to a trainee on a training node (granica.asylum.training): what it
    asked (`plan`, from which its synthetic prints are generated again), and once checked,
    the points scored and what was wrong."""

    __tablename__ = "asylum_training_exercise"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    trainee: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # enrolment | quality | verification
    plan: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    started_at: Mapped[dt.datetime]
    checked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    points: Mapped[int | None] = mapped_column(sa.SmallInteger, nullable=True)
    max_points: Mapped[int] = mapped_column(sa.SmallInteger)
    feedback: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
