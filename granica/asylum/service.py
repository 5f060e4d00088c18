"""The national fingerprint database's rules: enrolment by EURODAC category (age, quality
gate, missing fingers, finger sequence, reference number, transmission deadline), the 1:N
search by the category's comparison rules, the fingerprint expert's verification of every
candidate, and the subject's lifecycle (marking, blocking, correction, advance erasure and
erasure at the end of the retention period). Every function checks the caller's permission
and audits what it read or changed, with every subject it touched."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.asylum.categories import Category, Rules, rules
from granica.asylum.gallery import gallery_for, synced
from granica.asylum.models import (
    ACTIVE,
    BLOCKED,
    CONFIRMED,
    DECISIONS,
    DISPUTED,
    ERASED,
    FLAT,
    IMPRESSIONS,
    INCONCLUSIVE,
    PENDING,
    ROLLED,
    Candidate,
    Correction,
    Counter,
    Decision,
    Finger,
    Search,
    Subject,
)
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.biometrics.capture import Capture, read_capture
from granica.biometrics.compare import Probe, compare, prepare, threshold_for
from granica.biometrics.quality import ENROLMENT_THRESHOLD
from granica.biometrics.template import Template
from granica.errors import ConflictError, NotFoundError, ValidationError
from granica.settings import get_settings
from granica.storage import new_id

SUBJECT = "asylum_subject"
ENROL = "asylum.enrol"
SEARCH = "asylum.search"
VERIFY = "asylum.verify"
MANAGE = "asylum.manage"

POSITIONS = range(1, 11)  # ANSI/NIST finger positions: 1 right thumb .. 10 left little
FINGER_NAMES = {1: "right thumb", 2: "right index", 3: "right middle", 4: "right ring",
                5: "right little", 6: "left thumb", 7: "left index", 8: "left middle",
                9: "left ring", 10: "left little"}
MIN_MINUTIAE = 12  # fewer give too few pairs for a comparison to mean anything
MAX_IMAGE_BYTES = 10 * 1024 * 1024
CANDIDATE_LIST = 10  # candidates kept per search (above the threshold)
# Fields a correction may change (with history); the reference and the biometrics may not.
CORRECTABLE = ("surname", "given_names", "other_names", "nationalities", "date_of_birth",
               "place_of_birth", "sex", "registration_place", "document")
SEXES = ("M", "F", "X")


class FingerprintQualityError(ValidationError):
    """Prints below the quality gate: retake those listed in `details['retake']`."""

    code = "fingerprint_quality"


class MinimumAgeError(ValidationError):
    code = "below_minimum_age"


@dataclass
class PrintIn:
    """One finger as captured: an image, or the reason there is none."""

    position: int
    image: bytes | None = None
    impression: str = FLAT
    missing_reason: str | None = None
    ppi: int | None = None  # the scan resolution where the file does not say (500 if unsaid)


@dataclass
class EnrolmentIn:
    category: str
    prints: list[PrintIn]
    surname: str = ""
    given_names: str = ""
    other_names: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    date_of_birth: dt.date | None = None
    # the officer is not sure the person has reached the minimum age (treated as under it)
    age_uncertain: bool = False
    place_of_birth: str = ""
    sex: str = "X"
    registration_place: str = ""
    registered_at: dt.datetime | None = None
    document: dict[str, Any] | None = None
    document_scan: bytes | None = None
    face: bytes | None = None
    enrolment_key: str | None = None


@dataclass
class Read:
    """A print that passed the gate: its template and what the gate read."""

    print_in: PrintIn
    capture: Capture

    @property
    def template(self) -> Template:
        assert self.capture.template is not None  # read_prints keeps only those with one
        return self.capture.template


@dataclass
class Outcome:
    """What an enrolment or a search produced."""

    search: Search
    candidates: list[Candidate]
    subject: Subject | None = None
    warnings: list[str] = field(default_factory=list)
    replayed: bool = False  # the enrolment key was seen before: nothing new was stored


# --- reading the prints -------------------------------------------------------------


def _check_positions(prints: Sequence[PrintIn], reasons: dict[str, str], *,
                     all_ten: bool) -> None:
    seen: set[tuple[int, str]] = set()
    covered: set[int] = set()
    for i, p in enumerate(prints):
        where = f"prints[{i}]"
        if p.position not in POSITIONS:
            raise ValidationError(f"{where}: finger position {p.position} is not 1 (right thumb) "
                                  "to 10 (left little)", field=where)
        if p.impression not in IMPRESSIONS:
            raise ValidationError(f"{where}: impression {p.impression!r} is not one of "
                                  f"{', '.join(IMPRESSIONS)}", field=where)
        if (p.position, p.impression) in seen:
            raise ValidationError(f"{where}: finger {p.position} ({p.impression}) is given twice",
                                  field=where)
        seen.add((p.position, p.impression))
        if p.image is None:
            if p.missing_reason not in reasons:
                raise ValidationError(
                    f"{where}: finger {p.position} has no image and no known reason for its "
                    f"absence (reasons: {', '.join(reasons)})", field=where)
        elif p.missing_reason is not None:
            raise ValidationError(f"{where}: finger {p.position} has both an image and a "
                                  "reason for its absence; send one of them", field=where)
        elif len(p.image) > MAX_IMAGE_BYTES:
            raise ValidationError(f"{where}: image of {len(p.image)} bytes is over the "
                                  f"{MAX_IMAGE_BYTES} byte limit", field=where)
        covered.add(p.position)
    if all_ten:
        absent = [pos for pos in POSITIONS if pos not in covered]
        if absent:
            raise ValidationError(
                f"fingers {', '.join(map(str, absent))} are neither printed nor recorded as "
                "missing with a reason: every finger is taken (EURODAC) or its absence "
                "explained (amputated, bandaged, ...)", field="prints", missing=absent)
    if not any(p.image is not None for p in prints):
        raise ValidationError("no finger has an image: at least one print is needed",
                              field="prints")


def passes_gate(cap: Capture) -> bool:
    """The enrolment gate: a template, the quality score, and enough minutiae."""
    return cap.template is not None and cap.quality.score >= ENROLMENT_THRESHOLD \
        and len(cap.template) >= MIN_MINUTIAE


def read_prints(prints: Sequence[PrintIn]) -> list[Read]:
    """Quality gate and extraction of every imaged finger. All failing fingers are reported
    together, each with its score and what to do, so the officer retakes them in one go."""
    from granica.errors import InputFormatError

    out: list[Read] = []
    retake: list[dict[str, Any]] = []
    for i, p in enumerate(prints):
        if p.image is None:
            continue
        try:
            cap = read_capture(p.image, p.position, p.ppi)
        except InputFormatError as exc:
            raise InputFormatError(f"prints[{i}] (finger {p.position}): {exc.message}",
                                   field=f"prints[{i}]") from exc
        minutiae = len(cap.template) if cap.template is not None else 0
        if not passes_gate(cap):
            why = cap.quality.explain() or ([f"only {minutiae} minutiae"]
                                            if minutiae < MIN_MINUTIAE else ["unusable"])
            retake.append({"position": p.position, "impression": p.impression,
                           "quality": cap.quality.score, "minutiae": minutiae,
                           "reasons": why})
            continue
        out.append(Read(p, cap))
    if retake:
        listed = "; ".join(f"finger {r['position']} ({r['impression']}): quality "
                           f"{r['quality']}, {', '.join(r['reasons'])}" for r in retake)
        raise FingerprintQualityError(
            f"retake {len(retake)} print(s) below the enrolment gate {ENROLMENT_THRESHOLD}: "
            f"{listed}. If a finger cannot give a usable print, record it as missing with the "
            "reason 'poor_quality'", field="prints", retake=retake)
    return out


def sequence_problems(reads: Sequence[Read], fmr: float) -> list[str]:
    """Flat prints compared with the rolled prints: a flat print that matches another
    finger's rolled print and not its own says the two were swapped (a right thumb taken as
    a left index)."""
    rolled = {r.print_in.position: prepare(r.template) for r in reads if r.print_in.impression == ROLLED}
    flats = [r for r in reads if r.print_in.impression == FLAT]
    if not rolled or not flats:
        return []
    threshold = threshold_for(fmr)
    problems = []
    for f in flats:
        probe = prepare(f.template)
        scores = {pos: compare(probe, roll).score for pos, roll in rolled.items()}
        best = max(scores, key=lambda k: scores[k])
        own = scores.get(f.print_in.position)
        if best != f.print_in.position and scores[best] >= threshold and (own is None or own < threshold):
            problems.append(f"the flat print of finger {f.print_in.position} matches the rolled "
                            f"print of finger {best}: check the order and retake them")
    return problems


def _probes(templates: Sequence[Template]) -> list[Probe]:
    """One probe per finger position: the rolled print where there is one, else the flat."""
    by_position: dict[int, Template] = {}
    for t in templates:
        by_position.setdefault(t.finger_position, t)
    return [prepare(t) for _, t in sorted(by_position.items())]


# --- reference numbers and deadlines ------------------------------------------------


def _reference(session: Session, category: Category) -> str:
    prefix = f"{get_settings().country}{category.digit}"
    row = session.scalars(sa.select(Counter).where(Counter.prefix == prefix)
                          .with_for_update()).first()
    if row is None:
        row = Counter(prefix=prefix, value=0)
        session.add(row)
    row.value += 1
    session.flush()
    return f"{prefix}{row.value:010d}"


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _check_age(data: EnrolmentIn, book: Rules, registered: dt.datetime) -> None:
    minimum = book.minimum_age
    if data.age_uncertain:
        raise MinimumAgeError(
            f"the person may be under {minimum}: where it is not certain that a child has "
            f"reached {minimum}, the child is treated as under {minimum} and is not "
            "fingerprinted (Reg. 2024/1358 Art 14)", field="age_uncertain")
    if data.date_of_birth is None:
        return
    if data.date_of_birth > registered.date():
        raise ValidationError(f"date of birth {data.date_of_birth} is after the registration "
                              f"date {registered.date()}", field="date_of_birth")
    age = _age(data.date_of_birth, registered.date())
    if age < minimum:
        raise MinimumAgeError(f"the person is {age}, under the minimum age {minimum} for "
                              f"fingerprinting under the {book.name} rules", field="date_of_birth")


# --- search ----------------------------------------------------------------------------


def _candidates(session: Session, search: Search, probes: Sequence[Probe],
                allowed: Callable[[Subject], bool], exclude: str | None) -> list[Candidate]:
    """Rank the gallery for the probes, keep the subjects the rules allow above the
    threshold, and store them as candidates for the expert."""
    gallery = synced(session)
    ranked = gallery.search_person(probes, top=CANDIDATE_LIST * 3)
    ids = [s for s, _, _ in ranked if s != exclude]
    subjects = {s.id: s for s in session.scalars(sa.select(Subject).where(Subject.id.in_(ids)))} \
        if ids else {}
    threshold = threshold_for(get_settings().asylum_candidate_fmr)
    now = clock.now()
    out: list[Candidate] = []
    for subject_id, score, fingers in ranked:
        s = subjects.get(subject_id)
        if s is None or s.state != ACTIVE or not allowed(s) or score < threshold:
            continue
        out.append(Candidate(id=new_id(), search_id=search.id, subject_id=s.id, rank=len(out) + 1,
                             score=round(float(score), 5),
                             finger_scores={str(k): round(float(v), 5) for k, v in fingers.items()},
                             state=PENDING, created_at=now))
        if len(out) == CANDIDATE_LIST:
            break
    session.add_all(out)
    search.candidates = len(out)
    return out


def _store_fingers(session: Session, reads: Sequence[Read], missing: Sequence[PrintIn], *,
                   subject_id: str | None, search_id: str | None,
                   captured: dt.datetime) -> list[Finger]:
    rows = [Finger(id=new_id(), subject_id=subject_id, search_id=search_id,
                   position=r.print_in.position, impression=r.print_in.impression,
                   template=r.template.to_bytes(), image=r.print_in.image,
                   quality=r.capture.quality.score, minutiae=len(r.template), captured_at=captured)
            for r in reads]
    rows += [Finger(id=new_id(), subject_id=subject_id, search_id=search_id, position=p.position,
                    impression=p.impression, missing_reason=p.missing_reason, captured_at=captured)
             for p in missing]
    session.add_all(rows)
    return rows


def enrol(session: Session, principal: Principal, data: EnrolmentIn,
          purpose: str = "") -> Outcome:
    """Enrol one data subject (or, for a category whose data are searched but not stored,
    search with the prints), search by the category's comparison rules, and queue the
    candidates for a fingerprint expert."""
    purpose = purpose or "asylum procedure"
    audit.require(session, principal, ENROL, action="asylum.enrol", subject_type=SUBJECT,
                  purpose=purpose, what="enrol a data subject")
    book = rules()
    category = book.category(data.category)
    if data.enrolment_key:
        if not 8 <= len(data.enrolment_key) <= 80:
            raise ValidationError("enrolment_key must be 8 to 80 characters", field="enrolment_key")
        earlier = session.scalars(sa.select(Subject)
                                  .where(Subject.enrolment_key == data.enrolment_key)).first()
        if earlier is not None:
            return _replay(session, principal, earlier, purpose)
    if data.sex not in SEXES:
        raise ValidationError(f"sex {data.sex!r} is not one of {', '.join(SEXES)}", field="sex")
    now = clock.now()
    registered = data.registered_at or now
    if registered > now + dt.timedelta(minutes=5):
        raise ValidationError(f"registration time {registered.isoformat()} is in the future",
                              field="registered_at")
    _check_age(data, book, registered)
    _check_positions(data.prints, book.missing_reasons, all_ten=True)
    started = time.perf_counter()
    reads = read_prints(data.prints)
    fmr = get_settings().asylum_candidate_fmr
    problems = sequence_problems(reads, fmr)
    if problems:
        raise ValidationError("; ".join(problems), field="prints", swapped=problems)
    missing = [p for p in data.prints if p.image is None]
    subject: Subject | None = None
    if category.stored:
        subject = Subject(
            id=new_id(), reference=_reference(session, category), enrolment_key=data.enrolment_key,
            rules=book.name, category=category.code, state=ACTIVE, surname=data.surname.strip(),
            given_names=data.given_names.strip(), other_names=list(data.other_names),
            nationalities=[n.upper() for n in data.nationalities],
            date_of_birth=data.date_of_birth, place_of_birth=data.place_of_birth, sex=data.sex,
            registration_place=data.registration_place, registered_at=registered,
            captured_at=now, transmission_due=category.transmission_due(registered),
            retained_until=category.retained_until(now), operator=principal.username,
            document=data.document, document_scan=data.document_scan, face=data.face,
            created_at=now, updated_at=now)
        session.add(subject)
        session.flush()
    search = Search(id=new_id(), kind="enrolment", subject_id=subject.id if subject else None,
                    category=category.code, purpose=purpose, requested_by=principal.username,
                    requested_at=now, fingers=len(reads))
    session.add(search)
    session.flush()
    rows = _store_fingers(session, reads, missing, subject_id=subject.id if subject else None,
                          search_id=None if subject else search.id, captured=now)
    probes = _probes([r.template for r in reads])

    def allowed(s: Subject) -> bool:
        return category.compares_with(s.category, s.marked_at is not None)

    candidates = (_candidates(session, search, probes, allowed, subject.id if subject else None)
                  if category.searched else [])
    search.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    if subject is not None:
        gallery = gallery_for(session)  # a rolled-back enrolment leaves at the next sync
        for row, r in zip(rows, reads):
            gallery.add(row.id, subject.id, r.template)
    warnings = [f"finger {p.position} recorded as missing: {book.missing_reasons[p.missing_reason or '']}"
                for p in missing]
    if subject is not None and subject.transmission_due is not None:
        warnings.append(f"transmit to the central system by {subject.transmission_due.isoformat()}")
    audit.record(session, principal, "asylum.enrol", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[subject.id] if subject else [],
                 query={"category": category.code, "fingers": len(reads),
                        "missing": [p.position for p in missing]},
                 result_count=len(candidates),
                 details={"reference": subject.reference if subject else None,
                          "search": search.id})
    audit.record(session, principal, "asylum.search", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[c.subject_id for c in candidates],
                 query={"search": search.id, "kind": "enrolment", "category": category.code},
                 result_count=len(candidates))
    return Outcome(search, candidates, subject, warnings)


def _replay(session: Session, principal: Principal, subject: Subject, purpose: str) -> Outcome:
    search = session.scalars(sa.select(Search).where(Search.subject_id == subject.id,
                                                     Search.kind == "enrolment")).one()
    candidates = list(session.scalars(sa.select(Candidate).where(Candidate.search_id == search.id)
                                      .order_by(Candidate.rank)))
    audit.record(session, principal, "asylum.read", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[subject.id, *(c.subject_id for c in candidates)],
                 details={"replayed_enrolment_key": subject.enrolment_key})
    note = "this enrolment was already stored (same enrolment key): nothing new was stored"
    return Outcome(search, candidates, subject, [note], True)


def search(session: Session, principal: Principal, prints: Sequence[PrintIn], *, purpose: str,
           case_reference: str) -> Outcome:
    """A 1:N search on its own, at an authority's request with a documented purpose and case
    reference (not an enrolment: the prints are kept with the search for the expert's
    verification only). Compared with every stored category."""
    purpose = purpose.strip()
    audit.require(session, principal, SEARCH, action="asylum.search", subject_type=SUBJECT,
                  purpose=purpose, what="search the fingerprint database")
    if len(purpose) < 5:
        raise ValidationError("state the purpose of the search (at least 5 characters): it is "
                              "audited and reported", field="purpose")
    if not case_reference.strip():
        raise ValidationError("give the case reference the search is made for",
                              field="case_reference")
    book = rules()
    _check_positions(prints, book.missing_reasons, all_ten=False)
    started = time.perf_counter()
    reads = read_prints(prints)
    now = clock.now()
    s = Search(id=new_id(), kind="request", subject_id=None, category="request",
               purpose=purpose, case_reference=case_reference.strip()[:80],
               requested_by=principal.username, requested_at=now, fingers=len(reads))
    session.add(s)
    session.flush()
    _store_fingers(session, reads, [], subject_id=None, search_id=s.id, captured=now)
    stored = {c.code for c in book.categories.values() if c.stored}
    candidates = _candidates(session, s, _probes([r.template for r in reads]),
                             lambda subj: subj.category in stored, None)
    s.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    audit.record(session, principal, "asylum.search", purpose=purpose, subject_type=SUBJECT,
                 subject_ids=[c.subject_id for c in candidates],
                 query={"search": s.id, "kind": "request", "case_reference": s.case_reference,
                        "fingers": len(reads)}, result_count=len(candidates))
    return Outcome(s, candidates)


# --- hit verification ----------------------------------------------------------------


def _candidate(session: Session, candidate_id: str) -> Candidate:
    c = session.get(Candidate, candidate_id)
    if c is None:
        raise NotFoundError(f"no candidate {candidate_id}", field="candidate_id")
    return c


def queue(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Candidates waiting for this expert: pending ones, and disputed ones this expert did not
    decide first (a second expert decides those)."""
    audit.require(session, principal, VERIFY, action="asylum.queue", subject_type=SUBJECT,
                  what="see the expert queue")
    rows = session.execute(
        sa.select(Candidate, Search, Subject.reference)
        .join(Search, Search.id == Candidate.search_id)
        .join(Subject, Subject.id == Candidate.subject_id)
        .where(Candidate.state.in_((PENDING, DISPUTED)))
        .order_by(Candidate.created_at, Candidate.rank)).all()
    first = _first_experts(session, [c.id for c, _, _ in rows if c.state == DISPUTED])
    out, shown = [], []
    for c, s, reference in rows:
        if c.state == DISPUTED and first.get(c.id) == principal.username:
            continue
        shown.append(c.subject_id)
        out.append({"candidate": c.id, "state": c.state, "score": c.score, "rank": c.rank,
                    "reference": reference, "search": s.id, "search_kind": s.kind,
                    "category": s.category, "created_at": c.created_at.isoformat()})
    audit.record(session, principal, "asylum.queue", purpose="fingerprint verification",
                 subject_type=SUBJECT, subject_ids=shown, result_count=len(out))
    return out


def _first_experts(session: Session, candidate_ids: list[str]) -> dict[str, str]:
    if not candidate_ids:
        return {}
    rows = session.execute(sa.select(Decision.candidate_id, Decision.expert)
                           .where(Decision.candidate_id.in_(candidate_ids),
                                  Decision.second_opinion.is_(False)))
    return {r.candidate_id: r.expert for r in rows}


def _probe_fingers(session: Session, search: Search) -> list[Finger]:
    where = (Finger.subject_id == search.subject_id) if search.subject_id else \
        (Finger.search_id == search.id)
    return list(session.scalars(sa.select(Finger).where(where, Finger.template.is_not(None))
                                .order_by(Finger.position, Finger.impression)))


def comparison(session: Session, principal: Principal, candidate_id: str) -> dict[str, Any]:
    """Side by side, per finger position both sides have: the probe and the candidate's
    print (finger ids, to fetch the images), each side's minutiae and the paired minutiae."""
    audit.require(session, principal, VERIFY, action="asylum.compare", subject_type=SUBJECT,
                  what="compare a candidate")
    c = _candidate(session, candidate_id)
    s = session.get(Search, c.search_id)
    subject = session.get(Subject, c.subject_id)
    assert s is not None and subject is not None
    probe_rows = {f.position: f for f in _probe_fingers(session, s)}
    cand_rows = {f.position: f for f in session.scalars(
        sa.select(Finger).where(Finger.subject_id == subject.id, Finger.template.is_not(None)))}
    fingers = []
    for pos in sorted(set(probe_rows) & set(cand_rows)):
        a = Template.from_bytes(probe_rows[pos].template or b"")
        b = Template.from_bytes(cand_rows[pos].template or b"")
        result = compare(a, b)
        fingers.append({
            "position": pos, "score": round(result.score, 5),
            "probe": {"finger": probe_rows[pos].id, "width": a.width, "height": a.height,
                      "minutiae": a.minutiae[:, :3].round(1).tolist()},
            "candidate": {"finger": cand_rows[pos].id, "width": b.width, "height": b.height,
                          "minutiae": b.minutiae[:, :3].round(1).tolist()},
            "pairs": [[int(p[0]), int(p[1])] for p in result.pairs]})
    related = [subject.id] + ([s.subject_id] if s.subject_id else [])
    audit.record(session, principal, "asylum.compare", purpose="fingerprint verification",
                 subject_type=SUBJECT, subject_ids=related, query={"candidate": c.id},
                 result_count=len(fingers))
    return {"candidate": c.id, "state": c.state, "score": c.score, "reference": subject.reference,
            "category": subject.category, "search": s.id, "search_kind": s.kind,
            "decisions": [_decision_dict(d) for d in _decisions(session, c.id)],
            "fingers": fingers}


def _decisions(session: Session, candidate_id: str) -> list[Decision]:
    return list(session.scalars(sa.select(Decision).where(Decision.candidate_id == candidate_id)
                                .order_by(Decision.decided_at)))


def _decision_dict(d: Decision) -> dict[str, Any]:
    return {"expert": d.expert, "decision": d.decision, "reason": d.reason,
            "second_opinion": d.second_opinion, "decided_at": d.decided_at.isoformat()}


def finger_image(session: Session, principal: Principal, finger_id: str) -> bytes:
    """The stored image of one finger (an expert's side-by-side view)."""
    audit.require(session, principal, VERIFY, action="asylum.image", subject_type=SUBJECT,
                  what="see a fingerprint image")
    f = session.get(Finger, finger_id)
    if f is None or f.image is None:
        raise NotFoundError(f"no fingerprint image {finger_id}", field="finger_id")
    audit.record(session, principal, "asylum.image", purpose="fingerprint verification",
                 subject_type=SUBJECT, subject_ids=[f.subject_id] if f.subject_id else [],
                 query={"finger": f.id, "search": f.search_id}, result_count=1)
    return f.image


def decide(session: Session, principal: Principal, candidate_id: str, decision: str,
           reason: str) -> Candidate:
    """An expert's decision on a candidate. Confirmed is a hit and is reported; inconclusive
    sends it to a second expert, whose decision is final."""
    audit.require(session, principal, VERIFY, action="asylum.decide", subject_type=SUBJECT,
                  what="decide on a fingerprint candidate")
    if decision not in DECISIONS:
        raise ValidationError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}",
                              field="decision")
    if len(reason.strip()) < 3:
        raise ValidationError("give the reason for the decision (what the prints show)",
                              field="reason")
    c = _candidate(session, candidate_id)
    second = c.state == DISPUTED
    if c.state not in (PENDING, DISPUTED):
        raise ConflictError(f"candidate {c.id} is already decided ({c.state})", field="candidate_id")
    if second and _first_experts(session, [c.id]).get(c.id) == principal.username:
        raise ConflictError("a second expert decides a disputed candidate, not the one who "
                            "found it inconclusive", field="candidate_id")
    now = clock.now()
    session.add(Decision(id=new_id(), candidate_id=c.id, expert=principal.username,
                         decision=decision, reason=reason.strip()[:1000], second_opinion=second,
                         decided_at=now))
    if decision == INCONCLUSIVE and not second:
        c.state = DISPUTED
    else:
        c.state = decision
        c.decided_at = now
        if decision == CONFIRMED:
            c.reported_at = now
    s = session.get(Search, c.search_id)
    related = [c.subject_id] + ([s.subject_id] if s is not None and s.subject_id else [])
    audit.record(session, principal, "asylum.decide", purpose="fingerprint verification",
                 subject_type=SUBJECT, subject_ids=related,
                 query={"candidate": c.id, "decision": decision}, result_count=1,
                 details={"second_opinion": second, "state": c.state})
    if c.state == CONFIRMED:
        audit.record(session, principal, "asylum.hit", purpose="fingerprint verification",
                     subject_type=SUBJECT, subject_ids=related,
                     query={"candidate": c.id, "search": c.search_id}, result_count=1)
    session.flush()
    return c


def hits(session: Session, principal: Principal, search_id: str) -> list[dict[str, Any]]:
    """A search's result as reported: only candidates an expert confirmed are hits."""
    audit.require(session, principal, ENROL, action="asylum.read", subject_type=SUBJECT,
                  what="read a search result")
    s = session.get(Search, search_id)
    if s is None:
        raise NotFoundError(f"no search {search_id}", field="search_id")
    rows = session.execute(sa.select(Candidate, Subject.reference)
                           .join(Subject, Subject.id == Candidate.subject_id)
                           .where(Candidate.search_id == s.id).order_by(Candidate.rank)).all()
    out = [{"candidate": c.id, "reference": ref, "state": c.state, "score": c.score,
            "hit": c.state == CONFIRMED} for c, ref in rows]
    audit.record(session, principal, "asylum.read", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[c.subject_id for c, _ in rows],
                 query={"search": s.id}, result_count=len(out))
    return out


# --- lifecycle -----------------------------------------------------------------------


def subject_by_reference(session: Session, reference: str) -> Subject:
    s = session.scalars(sa.select(Subject).where(Subject.reference == reference)).first()
    if s is None:
        raise NotFoundError(f"no data subject with reference number {reference}",
                            field="reference")
    return s


def subject_view(session: Session, principal: Principal, reference: str) -> dict[str, Any]:
    audit.require(session, principal, ENROL, action="asylum.read", subject_type=SUBJECT,
                  what="read a data subject")
    s = subject_by_reference(session, reference)
    fingers = list(session.scalars(sa.select(Finger).where(Finger.subject_id == s.id)
                                   .order_by(Finger.position)))
    corrections = list(session.scalars(sa.select(Correction).where(Correction.subject_id == s.id)
                                       .order_by(Correction.corrected_at)))
    from granica.asylum.central_models import Transmission  # the central's answers

    sent = list(session.scalars(sa.select(Transmission).where(Transmission.subject_id == s.id)
                                .order_by(Transmission.sent_at, Transmission.tcn)))
    audit.record(session, principal, "asylum.read", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[s.id], result_count=1)
    return {
        "reference": s.reference, "category": s.category, "rules": s.rules, "state": s.state,
        "surname": s.surname, "given_names": s.given_names, "other_names": s.other_names,
        "nationalities": s.nationalities,
        "date_of_birth": s.date_of_birth.isoformat() if s.date_of_birth else None,
        "place_of_birth": s.place_of_birth, "sex": s.sex,
        "registration_place": s.registration_place, "registered_at": _iso(s.registered_at),
        "captured_at": _iso(s.captured_at), "transmission_due": _iso(s.transmission_due),
        "transmitted_at": _iso(s.transmitted_at), "retained_until": _iso(s.retained_until),
        "operator": s.operator, "document": s.document, "marked_at": _iso(s.marked_at),
        "blocked_at": _iso(s.blocked_at), "erased_at": _iso(s.erased_at),
        "fingers": [{"position": f.position, "impression": f.impression, "quality": f.quality,
                     "minutiae": f.minutiae, "missing_reason": f.missing_reason} for f in fingers],
        "corrections": [{"field": c.field, "old": c.old_value, "new": c.new_value,
                         "reason": c.reason, "by": c.corrected_by,
                         "at": c.corrected_at.isoformat()} for c in corrections],
        "transmissions": [{"tcn": t.tcn, "sent_at": _iso(t.sent_at),
                           "answered_at": _iso(t.answered_at), "result": t.result,
                           "candidates": [c.get("reference") for c in t.candidates],
                           "faults": [f.get("message") for f in t.faults]} for t in sent],
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _live(session: Session, principal: Principal, reference: str, action: str) -> Subject:
    audit.require(session, principal, MANAGE, action=action, subject_type=SUBJECT,
                  what=f"{action.split('.')[-1]} a data subject")
    s = subject_by_reference(session, reference)
    if s.state == ERASED:
        raise ConflictError(f"{reference} was erased on {_iso(s.erased_at)}", field="reference")
    return s


def mark(session: Session, principal: Principal, reference: str, reason: str) -> Subject:
    """Mark a subject (international protection granted, 2024 Art 31): marked data stay
    searchable and are compared with the resettlement-procedure searches."""
    s = _live(session, principal, reference, "asylum.mark")
    if s.marked_at is not None:
        raise ConflictError(f"{reference} is already marked", field="reference")
    _need_reason(reason)
    s.marked_at, s.marked_reason, s.updated_at = clock.now(), reason.strip()[:300], clock.now()
    told = _tell_central(session, s, "mark", s.marked_reason)
    audit.record(session, principal, "asylum.mark", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[s.id],
                 details={"reason": s.marked_reason, "central_notified": told})
    return s


def _tell_central(session: Session, s: Subject, action: str, reason: str) -> bool:
    from granica.asylum.transmission import notify_central  # it builds on this module

    return notify_central(session, s, action, reason)


def block(session: Session, principal: Principal, reference: str, reason: str) -> Subject:
    """Block a subject: kept for its retention period, no longer returned by searches."""
    s = _live(session, principal, reference, "asylum.block")
    if s.state == BLOCKED:
        raise ConflictError(f"{reference} is already blocked", field="reference")
    _need_reason(reason)
    s.state, s.blocked_at, s.updated_at = BLOCKED, clock.now(), clock.now()
    audit.record(session, principal, "asylum.block", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[s.id], details={"reason": reason.strip()})
    return s


def _need_reason(reason: str) -> None:
    if len(reason.strip()) < 3:
        raise ValidationError("give the reason (it is kept with the record and audited)",
                              field="reason")


def _erase(session: Session, s: Subject, reason: str) -> None:
    """Remove a subject's personal and biometric data; the row keeps its reference and the
    dates, so that a resend or a query by reference is answered 'erased'."""
    now = clock.now()
    session.execute(sa.delete(Finger).where(Finger.subject_id == s.id))
    session.execute(sa.delete(Correction).where(Correction.subject_id == s.id))
    s.surname = s.given_names = s.place_of_birth = s.registration_place = ""
    s.other_names, s.nationalities = [], []
    s.date_of_birth, s.document, s.document_scan, s.face = None, None, None, None
    s.enrolment_key = None
    s.state, s.erased_at, s.erasure_reason, s.updated_at = ERASED, now, reason[:300], now


def erase(session: Session, principal: Principal, reference: str, reason: str) -> Subject:
    """Advance erasure (e.g. the person became a citizen of a Member State)."""
    s = _live(session, principal, reference, "asylum.erase")
    _need_reason(reason)
    _erase(session, s, f"advance erasure: {reason.strip()}")
    gallery_for(session).remove_subjects([s.id])
    told = _tell_central(session, s, "erase", reason.strip())
    audit.record(session, principal, "asylum.erase", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[s.id],
                 details={"reason": reason.strip(), "central_notified": told})
    return s


def correct(session: Session, principal: Principal, reference: str, field_name: str,
            value: Any, reason: str) -> Subject:
    """Change one of a subject's data, keeping what it was."""
    s = _live(session, principal, reference, "asylum.correct")
    if field_name not in CORRECTABLE:
        raise ValidationError(f"{field_name!r} cannot be corrected (correctable: "
                              f"{', '.join(CORRECTABLE)})", field="field")
    _need_reason(reason)
    old = getattr(s, field_name)
    if field_name == "date_of_birth":
        try:
            value = dt.date.fromisoformat(str(value)) if value else None
        except ValueError:
            raise ValidationError(f"date_of_birth {value!r} is not a date (YYYY-MM-DD)",
                                  field="value") from None
        stored_old: Any = old.isoformat() if old else None
        stored_new: Any = value.isoformat() if value else None
    else:
        if field_name == "sex" and value not in SEXES:
            raise ValidationError(f"sex {value!r} is not one of {', '.join(SEXES)}", field="value")
        stored_old, stored_new = old, value
    setattr(s, field_name, value)
    now = clock.now()
    s.updated_at = now
    session.add(Correction(id=new_id(), subject_id=s.id, field=field_name, old_value=stored_old,
                           new_value=stored_new, reason=reason.strip()[:1000],
                           corrected_by=principal.username, corrected_at=now))
    audit.record(session, principal, "asylum.correct", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[s.id], query={"field": field_name},
                 details={"reason": reason.strip()})
    return s


def retention(session: Session, principal: Principal, *, dry_run: bool) -> list[dict[str, Any]]:
    """Erase every subject whose category's retention period has ended (or, with `dry_run`,
    list them): 2024 Art 29 / 603 Art 12."""
    audit.require(session, principal, MANAGE, action="asylum.retention", subject_type=SUBJECT,
                  what="erase data at the end of their retention period")
    now = clock.now()
    due = list(session.scalars(sa.select(Subject).where(Subject.state != ERASED,
                                                        Subject.retained_until <= now)
                               .order_by(Subject.retained_until)))
    out = [{"reference": s.reference, "category": s.category,
            "retained_until": _iso(s.retained_until)} for s in due]
    if not dry_run:
        for s in due:
            _erase(session, s, "end of the retention period")
        gallery_for(session).remove_subjects([s.id for s in due])
    audit.record(session, principal, "asylum.retention", purpose="retention",
                 subject_type=SUBJECT, subject_ids=[s.id for s in due], result_count=len(due),
                 details={"dry_run": dry_run})
    return out


def transmission_status(session: Session, principal: Principal,
                        warn_hours: float = 12) -> list[dict[str, Any]]:
    """Subjects not yet transmitted to the central system, with their deadline: overdue, or
    due within `warn_hours`. A missed deadline does not remove the duty to transmit."""
    audit.require(session, principal, ENROL, action="asylum.transmission", subject_type=SUBJECT,
                  what="see the transmission deadlines")
    now = clock.now()
    rows = list(session.scalars(sa.select(Subject).where(
        Subject.state != ERASED, Subject.transmitted_at.is_(None),
        Subject.transmission_due.is_not(None),
        Subject.transmission_due <= now + dt.timedelta(hours=warn_hours))
        .order_by(Subject.transmission_due)))
    audit.record(session, principal, "asylum.transmission", purpose="asylum procedure",
                 subject_type=SUBJECT, subject_ids=[s.id for s in rows], result_count=len(rows))
    return [{"reference": s.reference, "category": s.category,
             "due": _iso(s.transmission_due),
             "state": "overdue" if s.transmission_due and s.transmission_due < now else "due_soon"}
            for s in rows]

