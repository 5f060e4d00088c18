"""The national fingerprint database through its service layer, on SQLite and PostgreSQL,
with FVC2002 DB1_B prints: enrolment with the quality gate and missing fingers, a second
enrolment of other impressions producing a candidate, the expert's decision, the rules on
age and input, and retention moving the clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from granica import clock
from granica.asylum import service
from granica.asylum.gallery import forget_galleries
from granica.asylum.models import CONFIRMED, DISPUTED, Finger, Subject
from granica.audit.models import AuditEntry
from granica.errors import ConflictError, PermissionDenied, ValidationError
from granica.storage import Database
from tests.border.conftest import principal
from tests.conftest import shared_path

OFFICER = principal("asylum1", "asylum_officer", agency="ASYLUM_OFFICE")
EXPERT = principal("expert1", "fingerprint_expert", agency="ASYLUM_OFFICE")
EXPERT2 = principal("expert2", "fingerprint_expert", agency="ASYLUM_OFFICE")
GUARD = principal("guard1", "border_guard")
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _folder() -> Path:
    return shared_path("fingerprints", "fvc2002_db1_b")


def prints(fingers: list[int], impression: int) -> list[service.PrintIn]:
    """Fingers 101.. of the set as positions 1..len, the rest recorded as bandaged."""
    folder = _folder()
    out = [service.PrintIn(position=i + 1, image=(folder / f"{f}_{impression}.tif").read_bytes())
           for i, f in enumerate(fingers)]
    out += [service.PrintIn(position=p, missing_reason="bandaged")
            for p in range(len(fingers) + 1, 11)]
    return out


def enrolment(fingers: list[int], impression: int, **kw: object) -> service.EnrolmentIn:
    data = {"category": "applicant", "prints": prints(fingers, impression), "surname": "Test",
            "given_names": "Subject", "nationalities": ["AFG"],
            "date_of_birth": dt.date(1990, 1, 1), "sex": "M"}
    data.update(kw)
    return service.EnrolmentIn(**data)  # type: ignore[arg-type]


@pytest.fixture
def db(database: Database) -> Database:
    forget_galleries()
    clock.freeze(T0)
    return database


@pytest.mark.acceptance
def test_asylum_second_enrolment_finds_the_first_and_the_expert_confirms(db: Database) -> None:
    with db.session() as s:
        first = service.enrol(s, OFFICER, enrolment([101, 102, 103], 1))
        other = service.enrol(s, OFFICER, enrolment([104, 105, 106], 1))
    assert first.subject is not None and other.subject is not None
    assert first.subject.reference.startswith("RS1") and first.candidates == []
    assert first.subject.transmission_due == T0 + dt.timedelta(hours=72)
    with db.session() as s:
        again = service.enrol(s, OFFICER, enrolment([101, 102, 103], 3))
        ranked = [c.subject_id for c in again.candidates]
    assert ranked and ranked[0] == first.subject.id
    assert other.subject.id not in ranked
    with db.session() as s:
        queued = service.queue(s, EXPERT)
        assert [q["candidate"] for q in queued] == [again.candidates[0].id]
        view = service.comparison(s, EXPERT, again.candidates[0].id)
        assert len(view["fingers"]) == 3 and all(f["pairs"] for f in view["fingers"])
        image = service.finger_image(s, EXPERT, view["fingers"][0]["candidate"]["finger"])
        assert image[:2] in (b"II", b"MM")  # the TIFF as enrolled
        before = service.hits(s, OFFICER, again.search.id)
        assert [h["hit"] for h in before] == [False]  # not a hit until an expert confirms
        service.decide(s, EXPERT, again.candidates[0].id, "confirmed", "12 minutiae agree on 3 fingers")
    with db.session() as s:
        assert [h["hit"] for h in service.hits(s, OFFICER, again.search.id)] == [True]
        actions = set(s.scalars(sa.select(AuditEntry.action)))
        assert {"asylum.enrol", "asylum.search", "asylum.compare", "asylum.decide",
                "asylum.hit"} <= actions
        with pytest.raises(ConflictError, match="already decided"):
            service.decide(s, EXPERT2, again.candidates[0].id, "rejected", "second look")


def test_asylum_inconclusive_goes_to_a_second_expert(db: Database) -> None:
    with db.session() as s:
        service.enrol(s, OFFICER, enrolment([101, 102], 1))
        again = service.enrol(s, OFFICER, enrolment([101, 102], 2))
    cid = again.candidates[0].id
    with db.session() as s:
        assert service.decide(s, EXPERT, cid, "inconclusive", "partial prints").state == DISPUTED
    with db.session() as s:
        assert service.queue(s, EXPERT) == []  # not back to the first expert
    with db.session() as s:
        # the queue's audit row (chained once its act committed) names only what it showed
        last = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "asylum.queue")
                         .order_by(AuditEntry.seq.desc())).first()
        assert last is not None and last.subject_ids == []
        with pytest.raises(ConflictError, match="second expert"):
            service.decide(s, EXPERT, cid, "confirmed", "looked again")
    with db.session() as s:
        assert service.decide(s, EXPERT2, cid, "confirmed", "cores and deltas agree").state == CONFIRMED


def test_asylum_enrolment_rules(db: Database) -> None:
    with db.session() as s:
        with pytest.raises(service.MinimumAgeError, match="minimum age 6"):
            service.enrol(s, OFFICER, enrolment([101], 1, date_of_birth=dt.date(2022, 1, 1)))
        with pytest.raises(service.MinimumAgeError, match="treated as under 6"):
            service.enrol(s, OFFICER, enrolment([101], 1, age_uncertain=True))
        short = enrolment([101, 102], 1)
        short.prints = short.prints[:5]
        with pytest.raises(ValidationError, match="fingers 6, 7, 8, 9, 10 are neither printed"):
            service.enrol(s, OFFICER, short)
        bad = enrolment([101], 1)
        bad.prints[1] = service.PrintIn(position=2, missing_reason="lost")
        with pytest.raises(ValidationError, match="no known reason"):
            service.enrol(s, OFFICER, bad)
        with pytest.raises(ValidationError, match="unknown category"):
            service.enrol(s, OFFICER, enrolment([101], 1, category="tourist"))
        blank = enrolment([101], 1)
        blank.prints[0] = service.PrintIn(position=1, image=bytes(600 * 600))
        with pytest.raises(Exception, match="finger 1"):
            service.enrol(s, OFFICER, blank)
        with pytest.raises(PermissionDenied):
            service.enrol(s, GUARD, enrolment([101], 1))
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Subject)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Finger)) == 0


def test_asylum_same_enrolment_key_stores_one_subject(db: Database) -> None:
    with db.session() as s:
        a = service.enrol(s, OFFICER, enrolment([101], 1, enrolment_key="device-7-000123"))
    with db.session() as s:
        b = service.enrol(s, OFFICER, enrolment([101], 1, enrolment_key="device-7-000123"))
        assert b.replayed and b.subject is not None and a.subject is not None
        assert b.subject.reference == a.subject.reference
        assert s.scalar(sa.select(sa.func.count()).select_from(Subject)) == 1


def test_asylum_retention_erases_what_expired_and_nothing_else(db: Database) -> None:
    with db.session() as s:
        crosser = service.enrol(s, OFFICER, enrolment([101], 1, category="irregular_crosser"))
        applicant = service.enrol(s, OFFICER, enrolment([102], 1))
    assert crosser.subject is not None and applicant.subject is not None
    clock.freeze(T0 + dt.timedelta(days=5 * 366))
    with db.session() as s:
        listed = service.retention(s, OFFICER, dry_run=True)
        assert [r["reference"] for r in listed] == [crosser.subject.reference]
        assert s.get(Subject, crosser.subject.id).state == "active"  # type: ignore[union-attr]
    with db.session() as s:
        service.retention(s, OFFICER, dry_run=False)
    with db.session() as s:
        gone = s.get(Subject, crosser.subject.id)
        kept = s.get(Subject, applicant.subject.id)
        assert gone is not None and gone.state == "erased" and gone.surname == ""
        assert kept is not None and kept.state == "active"
        assert s.scalar(sa.select(sa.func.count()).select_from(Finger)
                        .where(Finger.subject_id == gone.id)) == 0
        # erased prints no longer match
        again = service.enrol(s, OFFICER, enrolment([101], 2))
        assert again.candidates == []


def test_asylum_police_search_needs_a_purpose_and_lifecycle(db: Database) -> None:
    with db.session() as s:
        first = service.enrol(s, OFFICER, enrolment([101, 102], 1))
    assert first.subject is not None
    ref = first.subject.reference
    with db.session() as s, pytest.raises(ValidationError, match="purpose"):
        service.search(s, EXPERT, prints([101], 2)[:1], purpose="", case_reference="K-1/26")
    with db.session() as s:
        found = service.search(s, EXPERT, prints([101, 102], 4)[:2],
                               purpose="identify a person found without documents",
                               case_reference="KU-112/26")
        assert [c.subject_id for c in found.candidates] == [first.subject.id]
    with db.session() as s:
        service.correct(s, OFFICER, ref, "date_of_birth", "1991-02-03", "document presented")
        service.block(s, OFFICER, ref, "court order")
    with db.session() as s:
        view = service.subject_view(s, OFFICER, ref)
        assert view["state"] == "blocked" and view["date_of_birth"] == "1991-02-03"
        assert view["corrections"][0]["old"] == "1990-01-01"
        blocked = service.search(s, EXPERT, prints([101, 102], 4)[:2],
                                 purpose="identify a person found without documents",
                                 case_reference="KU-113/26")
        assert blocked.candidates == []  # blocked data are not returned
        service.erase(s, OFFICER, ref, "became a citizen")
    with db.session() as s, pytest.raises(ConflictError, match="erased"):
        service.mark(s, OFFICER, ref, "protection granted")
