"""Training mode of the national fingerprint database: exercises on synthetic subjects, so
that officers and fingerprint experts learn the system without touching real data.

Exercises exist only on a training node (`GRANICA_TRAINING=1`, `granica serve --training`),
whose settings give it its own data folder and database. The prints are synthetic
(granica.biometrics.synthetic), generated again from the seeds each exercise keeps in its
plan. Three kinds:

- enrolment: a person's card (who, category) and ten captures, one finger of which cannot
  be printed for a reason the card states; the trainee enrols the person through the usual
  page. Checked: every finger at its own position (the engine compares the stored template
  with the finger the exercise generated), the missing finger's reason, the card's data.
- quality: as enrolment, but some first captures are below the quality gate (a second
  capture is good) and one finger gives no usable print at all (to be recorded as missing,
  'poor_quality', after the retakes). Checked as enrolment, and the fingers the trainee
  says had to be retaken.
- verification: the exercise enrols two synthetic people, the second with another
  impression of the first one's fingers (a true hit) or with fingers of its own (the
  candidate is then put in the queue by the exercise, with the engine's real, low score);
  the trainee decides on the candidate in the expert's side-by-side view. Checked: the
  decision against the truth and its reason.

A checked exercise keeps its points and what was wrong; `scores` sums them per trainee."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.asylum import service
from granica.asylum.models import (
    CONFIRMED,
    INCONCLUSIVE,
    PENDING,
    REJECTED,
    Candidate,
    Decision,
    Finger,
    Subject,
    TrainingExercise,
)
from granica.audit import service as audit
from granica.auth.principal import Principal, system_principal
from granica.errors import ConflictError, NotFoundError, ValidationError
from granica.settings import get_settings
from granica.storage import new_id

KINDS = ("enrolment", "quality", "verification")
TRAINING_PURPOSE = "training exercise"
EXERCISE = "asylum_training_exercise"
FINGER = service.FINGER_NAMES
# what a card says of a finger that cannot be printed, and the reason expected for it
MISSING_STORIES = {
    "amputated": "The %(finger)s finger was amputated years ago.",
    "bandaged": "The %(finger)s finger is bandaged after an injury at the border fence.",
}
QUALITY_NOTE = "Capture every finger; retake what the system refuses."
# synthetic people: names and nationalities drawn for the cards
SURNAMES = ("Ahmadi", "Haidari", "Rahimi", "Karimi", "Nazari", "Sultani", "Yusufi", "Hashimi",
            "Mansour", "Haddad", "Khalil", "Saleh", "Nasser", "Darwish", "Okafor", "Mensah")
GIVEN_NAMES = ("Ali", "Omid", "Farid", "Samir", "Yasin", "Karim", "Tariq", "Amina", "Leila",
               "Mariam", "Nadia", "Zahra", "Hassan", "Ibrahim", "Kwame", "Ama")
NATIONALITIES = ("AFG", "SYR", "IRQ", "PAK", "MAR", "NGA", "GHA", "BGD")
ENROLMENT_CATEGORIES = ("applicant", "irregular_crosser", "illegally_staying")


def require_training_node() -> None:
    if not get_settings().training:
        raise ConflictError("training exercises exist only on a training node (its own "
                            "database, synthetic data): start one with `granica serve "
                            "--training` or GRANICA_TRAINING=1", field="training")


# --- synthetic prints ------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _image(master_seed: int, capture_seed: int, quality: str) -> np.ndarray:
    from granica.biometrics import synthetic

    return synthetic.impression(synthetic.master_finger(master_seed), capture_seed,
                                quality=quality)


@functools.lru_cache(maxsize=256)
def _png(master_seed: int, capture_seed: int, quality: str) -> bytes:
    from granica.biometrics import synthetic

    return synthetic.to_png(_image(master_seed, capture_seed, quality))


@dataclass(frozen=True)
class CaptureRef:
    position: int
    number: int  # 1 = first capture, 2.. = retakes
    master: int
    seed: int
    quality: str


def _captures(plan: dict[str, Any]) -> list[CaptureRef]:
    return [CaptureRef(int(pos), i, int(f["master"]), int(c["seed"]), str(c["quality"]))
            for pos, f in sorted(plan["fingers"].items(), key=lambda kv: int(kv[0]))
            for i, c in enumerate(f["captures"], start=1)]


def _card(rng: np.random.Generator, category: str) -> dict[str, Any]:
    today = clock.now().date()
    age = int(rng.integers(18, 60))
    born = today.replace(year=today.year - age) - dt.timedelta(days=int(rng.integers(1, 360)))
    return {"surname": str(rng.choice(SURNAMES)), "given_names": str(rng.choice(GIVEN_NAMES)),
            "date_of_birth": born.isoformat(), "nationality": str(rng.choice(NATIONALITIES)),
            "sex": str(rng.choice(["M", "F"])), "category": category}


def _plan(kind: str, base: int) -> dict[str, Any]:
    rng = np.random.default_rng(base)
    masters = {pos: base * 16 + pos for pos in service.POSITIONS}
    fingers: dict[str, dict[str, Any]] = {}
    for pos in service.POSITIONS:
        fingers[str(pos)] = {"master": masters[pos],
                             "captures": [{"seed": base * 64 + pos * 4 + 1, "quality": "good"}]}
    plan: dict[str, Any] = {"seed": base, "fingers": fingers}
    if kind == "verification":
        plan["mated"] = bool(rng.random() < 0.5)
        plan["card"] = _card(rng, "applicant")
        return plan
    plan["card"] = _card(rng, str(rng.choice(ENROLMENT_CATEGORIES)))
    positions = [int(p) for p in rng.permutation(list(service.POSITIONS))]
    expect: dict[str, Any] = {"missing": {}, "retake": [], "unusable": []}
    if kind == "enrolment":
        pos, reason = positions[0], str(rng.choice(sorted(MISSING_STORIES)))
        fingers[str(pos)]["captures"] = []
        expect["missing"][str(pos)] = reason
        plan["card"]["notes"] = [{"text": MISSING_STORIES[reason], "finger": FINGER[pos]}]
    else:  # quality: two first captures below the gate, one finger unusable whatever is done
        for pos in positions[:2]:
            fingers[str(pos)]["captures"] = [
                {"seed": base * 64 + pos * 4 + 1, "quality": "poor"},
                {"seed": base * 64 + pos * 4 + 2, "quality": "good"}]
            expect["retake"].append(pos)
        pos = positions[2]
        fingers[str(pos)]["captures"] = [{"seed": base * 64 + pos * 4 + k, "quality": "poor"}
                                         for k in (1, 2, 3)]
        expect["missing"][str(pos)] = "poor_quality"
        expect["unusable"].append(pos)
        plan["card"]["notes"] = [{"text": QUALITY_NOTE, "finger": ""}]
    plan["expect"] = expect
    return plan


def _make_poor_refused(plan: dict[str, Any]) -> None:
    """Each capture the exercise calls poor is one the gate refuses (a smudge can still
    happen to be readable: such a capture is replaced by another smudge)."""
    from granica.biometrics.capture import read_capture

    for pos, f in plan["fingers"].items():
        for c in f["captures"]:
            if c["quality"] != "poor":
                continue
            for _ in range(8):
                if not service.passes_gate(read_capture(
                        _image(int(f["master"]), int(c["seed"]), "poor"), int(pos))):
                    break
                c["seed"] = int(c["seed"]) + 1_000_003


# --- starting an exercise --------------------------------------------------------------


# points: 1 for the enrolment found, 1 each for category, name, date of birth and
# nationality, 1 per printed finger at its own position, 3 for the missing finger's reason
# (2 each in the quality exercise, which also gives 1 per retake named); verification: 2 for
# the right decision (1 for inconclusive) and 1 for a reason that says what the prints show
def _max_points(kind: str, plan: dict[str, Any]) -> int:
    if kind == "verification":
        return 3
    expect = plan["expect"]
    missing = len(expect["missing"])
    return (5 + (10 - missing) + missing * (3 if kind == "enrolment" else 2)
            + len(expect["retake"]))


def start(session: Session, principal: Principal, kind: str, *, seed: int | None = None
          ) -> TrainingExercise:
    """Give `principal` a new exercise of `kind` (a verification exercise also enrols its
    two synthetic people and queues the candidate)."""
    require_training_node()
    permission = service.VERIFY if kind == "verification" else service.ENROL
    audit.require(session, principal, permission, action="asylum.training.start",
                  subject_type=EXERCISE, what=f"start a {kind} exercise")
    if kind not in KINDS:
        raise ValidationError(f"exercise kind {kind!r} is not one of {', '.join(KINDS)}",
                              field="kind")
    base = seed if seed is not None else secrets.randbelow(2**40)
    plan = _plan(kind, base)
    if kind == "quality":
        _make_poor_refused(plan)
    started = clock.now()
    if kind == "verification":
        plan["candidate_id"] = _stage_verification(session, plan)
    ex = TrainingExercise(id=new_id(), trainee=principal.username, kind=kind, plan=plan,
                          started_at=started, max_points=_max_points(kind, plan), feedback=[])
    session.add(ex)
    session.flush()
    audit.record(session, principal, "asylum.training.start", purpose=TRAINING_PURPOSE,
                 subject_type=EXERCISE, subject_ids=[ex.id], query={"kind": kind},
                 result_count=1)
    return ex


def _prints(plan: dict[str, Any], *, other_impression: bool) -> list[service.PrintIn]:
    out = []
    for ref in _captures(plan):
        seed = ref.seed + 2 if other_impression else ref.seed
        out.append(service.PrintIn(position=ref.position, image=_png(ref.master, seed, "good")))
    return out


def _enrol_card(session: Session, card: dict[str, Any], category: str,
                prints: list[service.PrintIn], key: str | None = None) -> service.Outcome:
    """Enrol the person on a synthetic card with these prints, as the training node's system."""
    return service.enrol(session, system_principal(TRAINING_PURPOSE), service.EnrolmentIn(
        category=category, prints=prints, surname=card["surname"],
        given_names=card["given_names"], nationalities=[card["nationality"]], sex=card["sex"],
        date_of_birth=dt.date.fromisoformat(card["date_of_birth"]), enrolment_key=key),
        TRAINING_PURPOSE)


def _stage_verification(session: Session, plan: dict[str, Any]) -> str:
    """The stored person, then the newcomer whose enrolment yields the candidate."""
    stored = _enrol_card(session, plan["card"], "applicant",
                         _prints(plan, other_impression=False))
    assert stored.subject is not None
    rng = np.random.default_rng(plan["seed"] + 1)
    if plan["mated"]:
        prints = _prints(plan, other_impression=True)
    else:
        prints = _prints(_plan("verification", plan["seed"] + 7919), other_impression=False)
    newcomer = _enrol_card(session, _card(rng, "irregular_crosser"), "irregular_crosser",
                           prints)
    for c in newcomer.candidates:
        if c.subject_id == stored.subject.id:
            return c.id
    # No candidate from the engine (a true non-hit, or a mated pair the engine missed):
    # the exercise queues one, with the real fused score, for the trainee to decide.
    scores = _finger_scores(session, stored.subject.id, newcomer.search.id,
                            newcomer.subject.id if newcomer.subject else None)
    c = Candidate(id=new_id(), search_id=newcomer.search.id, subject_id=stored.subject.id,
                  rank=len(newcomer.candidates) + 1,
                  score=round(sum(scores.values()) / max(len(scores), 1), 5),
                  finger_scores={str(k): round(v, 5) for k, v in scores.items()},
                  state=PENDING, created_at=clock.now())
    session.add(c)
    session.flush()
    return c.id


def _templates(session: Session, where: Any) -> dict[int, Any]:
    from granica.biometrics.template import Template

    rows = session.scalars(sa.select(Finger).where(where, Finger.template.is_not(None)))
    return {f.position: Template.from_bytes(f.template) for f in rows if f.template}


def _finger_scores(session: Session, subject_id: str, search_id: str,
                   newcomer_id: str | None) -> dict[int, float]:
    from granica.biometrics.compare import compare

    a = _templates(session, Finger.subject_id == subject_id)
    b = _templates(session, Finger.subject_id == newcomer_id if newcomer_id
                   else Finger.search_id == search_id)
    return {pos: float(compare(b[pos], a[pos]).score) for pos in sorted(a) if pos in b}


# --- reading an exercise ----------------------------------------------------------------


def get(session: Session, principal: Principal, exercise_id: str) -> TrainingExercise:
    require_training_node()
    ex = session.get(TrainingExercise, exercise_id)
    if ex is None or (ex.trainee != principal.username and not principal.can(service.MANAGE)):
        raise NotFoundError(f"no exercise {exercise_id!r} of yours: start one on the training "
                            "page", field="exercise_id")
    return ex


def captures(ex: TrainingExercise) -> list[CaptureRef]:
    return [] if ex.kind == "verification" else _captures(ex.plan)


def capture_png(session: Session, principal: Principal, exercise_id: str, position: int,
                number: int) -> bytes:
    ex = get(session, principal, exercise_id)
    for ref in captures(ex):
        if ref.position == position and ref.number == number:
            return _png(ref.master, ref.seed, ref.quality)
    raise NotFoundError(f"exercise {exercise_id} has no capture {number} of finger {position}",
                        field="capture")


def view(ex: TrainingExercise) -> dict[str, Any]:
    return {"id": ex.id, "trainee": ex.trainee, "kind": ex.kind, "card": ex.plan.get("card"),
            "started_at": ex.started_at.isoformat(),
            "checked_at": ex.checked_at.isoformat() if ex.checked_at else None,
            "points": ex.points, "max_points": ex.max_points, "feedback": list(ex.feedback),
            "candidate_id": ex.plan.get("candidate_id"),
            "captures": [{"position": c.position, "number": c.number} for c in captures(ex)]}


def exercises(session: Session, principal: Principal, *, trainee: str | None = None
              ) -> list[TrainingExercise]:
    require_training_node()
    q = sa.select(TrainingExercise).order_by(TrainingExercise.started_at.desc())
    if trainee is None or not principal.can(service.MANAGE):
        trainee = principal.username
    return list(session.scalars(q.where(TrainingExercise.trainee == trainee)).all())


# --- checking ---------------------------------------------------------------------------


@dataclass
class _Marks:
    points: int = 0
    feedback: list[str] = field(default_factory=list)

    def give(self, ok: bool, points: int, wrong: str) -> None:
        if ok:
            self.points += points
        else:
            self.feedback.append(wrong)


def check(session: Session, principal: Principal, exercise_id: str, *,
          retaken: Sequence[int] = ()) -> TrainingExercise:
    """Score the exercise from what the trainee did (the stored subject, or the decision);
    `retaken` are the fingers the trainee says had to be captured again (quality)."""
    ex = get(session, principal, exercise_id)
    if ex.trainee != principal.username:
        raise ConflictError("only the trainee checks an exercise", field="exercise_id")
    if ex.checked_at is not None:
        raise ConflictError(f"exercise {ex.id} was checked at {ex.checked_at.isoformat()}: "
                            "start a new one", field="exercise_id")
    marks = _Marks()
    if ex.kind == "verification":
        _check_verification(session, ex, marks)
    else:
        _check_enrolment(session, ex, marks, retaken)
    ex.points, ex.feedback, ex.checked_at = marks.points, list(marks.feedback), clock.now()
    audit.record(session, principal, "asylum.training.check", purpose=TRAINING_PURPOSE,
                 subject_type=EXERCISE, subject_ids=[ex.id],
                 query={"kind": ex.kind}, result_count=1,
                 details={"points": ex.points, "max_points": ex.max_points})
    session.flush()
    return ex


def _check_verification(session: Session, ex: TrainingExercise, marks: _Marks) -> None:
    candidate_id = ex.plan["candidate_id"]
    decision = session.scalars(sa.select(Decision).where(
        Decision.candidate_id == candidate_id, Decision.expert == ex.trainee)
        .order_by(Decision.decided_at.desc())).first()
    if decision is None:
        marks.give(False, 0, "you have not decided on the candidate yet: open it from the "
                             "exercise, compare, and record your decision")
        return
    truth = CONFIRMED if ex.plan["mated"] else REJECTED
    if decision.decision == truth:
        marks.points += 2
    elif decision.decision == INCONCLUSIVE:
        marks.points += 1
        marks.feedback.append(f"inconclusive: the prints were {'' if ex.plan['mated'] else 'not '}"
                              "of the same person; a clear case is decided by the first expert")
    else:
        marks.feedback.append(f"you decided '{decision.decision}', but the prints were "
                              f"{'' if ex.plan['mated'] else 'not '}of the same person")
    marks.give(len(decision.reason.strip()) >= 10, 1,
               "the reason should say what the prints show (paired minutiae, pattern, ridges)")


def _found(session: Session, ex: TrainingExercise, reference: dict[int, Any], threshold: float
           ) -> tuple[Subject | None, dict[int, dict[int, float]]]:
    """The subject the trainee enrolled for this exercise: of those they enrolled since it
    started, the one whose prints match the exercise's fingers best; with, for each of its
    stored prints, the score against each reference finger."""
    from granica.biometrics.compare import compare

    best: tuple[int, Subject | None, dict[int, dict[int, float]]] = (0, None, {})
    for s in session.scalars(sa.select(Subject).where(Subject.operator == ex.trainee,
                                                       Subject.created_at >= ex.started_at)):
        stored = _templates(session, Finger.subject_id == s.id)
        scores = {pos: {p: compare(t, r).score for p, r in reference.items()}
                  for pos, t in stored.items()}
        matched = sum(1 for row in scores.values() if max(row.values(), default=0.0) >= threshold)
        if matched > best[0]:
            best = (matched, s, scores)
    return best[1], best[2]


def _threshold() -> float:
    from granica.biometrics.compare import threshold_for

    return threshold_for(get_settings().asylum_candidate_fmr)


def _reference_templates(ex: TrainingExercise) -> dict[int, Any]:
    """A template of each finger the exercise generated, from an impression of its own."""
    from granica.biometrics.capture import read_capture

    out = {}
    for pos, f in ex.plan["fingers"].items():
        cap = read_capture(_image(int(f["master"]), int(f["master"]) * 7 + 3, "good"), int(pos))
        if cap.template is not None:
            out[int(pos)] = cap.template
    return out


def _check_enrolment(session: Session, ex: TrainingExercise, marks: _Marks,
                     retaken: Sequence[int]) -> None:
    card, expect = ex.plan["card"], ex.plan["expect"]
    threshold = _threshold()
    subject, stored = _found(session, ex, _reference_templates(ex), threshold)
    if subject is None:
        marks.give(False, 0, "no enrolment of yours since the exercise started holds its "
                             "prints: enrol the person on the card, then check again")
        return
    marks.points += 1
    marks.give(subject.category == card["category"], 1,
               f"category '{subject.category}', the card says '{card['category']}'")
    marks.give(subject.surname.casefold() == card["surname"].casefold()
               and subject.given_names.casefold() == card["given_names"].casefold(), 1,
               f"name '{subject.surname}, {subject.given_names}', the card says "
               f"'{card['surname']}, {card['given_names']}'")
    marks.give(subject.date_of_birth is not None
               and subject.date_of_birth.isoformat() == card["date_of_birth"], 1,
               f"date of birth {subject.date_of_birth}, the card says {card['date_of_birth']}")
    marks.give(subject.nationalities == [card["nationality"]], 1,
               f"nationality {', '.join(subject.nationalities) or 'none'}, the card says "
               f"{card['nationality']}")
    for pos in service.POSITIONS:
        if str(pos) in expect["missing"]:
            continue
        scores = stored.get(pos)
        if scores is None:
            marks.feedback.append(f"finger {pos} ({FINGER[pos]}) has no print")
            continue
        own = scores.get(pos, 0.0)
        if own >= threshold:
            marks.points += 1
            continue
        best = max(scores, key=lambda p: scores[p])
        marks.feedback.append(
            f"the print stored as finger {pos} ({FINGER[pos]}) is finger {best} "
            f"({FINGER[best]}): check the order of the captures" if scores[best] >= threshold
            else f"the print stored as finger {pos} ({FINGER[pos]}) is none of this "
                 "person's fingers")
    reasons = {f.position: f.missing_reason for f in session.scalars(
        sa.select(Finger).where(Finger.subject_id == subject.id, Finger.template.is_(None)))}
    for pos_text, reason in expect["missing"].items():
        pos = int(pos_text)
        marks.give(reasons.get(pos) == reason, 3 if ex.kind == "enrolment" else 2,
                   f"finger {pos} ({FINGER[pos]}) should be recorded as missing, reason "
                   f"'{reason}' (recorded: {reasons.get(pos) or 'not missing'})")
    if ex.kind == "quality":
        said, due = set(retaken), set(expect["retake"])
        right = len(said & due)
        marks.points += right
        for pos in sorted(due - said):
            marks.feedback.append(f"finger {pos}'s first capture was below the gate: it "
                                  "had to be retaken")
        for pos in sorted(said - due - set(expect["unusable"])):
            marks.feedback.append(f"finger {pos}'s first capture was good: no retake was "
                                  "needed")
            marks.points = max(0, marks.points - 1)


# --- scores -----------------------------------------------------------------------------


def scores(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Per trainee (all of them for a supervisor, who may manage the database; else one's
    own): exercises checked per kind, points and the share of the possible points."""
    require_training_node()
    audit.require(session, principal, service.ENROL, action="asylum.training.scores",
                  subject_type=EXERCISE, what="read training scores")
    q = sa.select(TrainingExercise).where(TrainingExercise.checked_at.is_not(None))
    if not principal.can(service.MANAGE):
        q = q.where(TrainingExercise.trainee == principal.username)
    table: dict[str, dict[str, Any]] = {}
    for ex in session.scalars(q):
        row = table.setdefault(ex.trainee, {"trainee": ex.trainee, "exercises": 0, "points": 0,
                                            "max_points": 0, "by_kind": {}})
        row["exercises"] += 1
        row["points"] += ex.points or 0
        row["max_points"] += ex.max_points
        kind = row["by_kind"].setdefault(ex.kind, {"exercises": 0, "points": 0, "max_points": 0})
        kind["exercises"] += 1
        kind["points"] += ex.points or 0
        kind["max_points"] += ex.max_points
    out = sorted(table.values(), key=lambda r: r["trainee"])
    for row in out:
        row["score"] = round(row["points"] / row["max_points"], 3) if row["max_points"] else 0.0
    return out


def seed_population(session: Session, count: int, *, first: int = 0) -> int:
    """Enrol synthetic people number `first` to `first + count - 1` in the training database,
    so that the searches of the exercises run against a gallery; returns how many were new."""
    require_training_node()
    done = 0
    for i in range(first, first + count):
        plan = _plan("verification", 10_000_000 + i)
        outcome = _enrol_card(session, plan["card"], "applicant",
                              _prints(plan, other_impression=False),
                              key=f"training-population-{i:06d}")
        done += 0 if outcome.replayed else 1
    return done
