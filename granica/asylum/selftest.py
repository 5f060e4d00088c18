"""The national fingerprint database checked end to end on FVC-style folders, through the
real service layer on a throwaway database (its own data folder, audit log and keys).

Each folder holds FINGER_IMPRESSION images (101_1.tif ... 110_8.tif). Its fingers are dealt
out in order into chimeric subjects of K fingers (positions 1..K, the others recorded as
missing); the fingers left over belong to people who are never enrolled. Each subject is
enrolled with the first impression of each finger that passes the quality gate (the
officer's retake), and searched once with each later impression; the people not enrolled
are searched with every impression. Counted: the identification rate at rank 1 over the
mated searches, and the candidates above the threshold that are not the person searched
for, per search (mated and not). Folders declared in `selftest.toml` to hold the same fingers
give the same person twice: a candidate for the other record identifies the person too."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import statistics
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from granica.errors import ValidationError

CONFIG = Path(__file__).resolve().parent / "selftest.toml"
_NAME = re.compile(r"^(\d+)_(\d+)\.(tif|tiff|png|bmp|wsq|jp2)$", re.IGNORECASE)
SELFTEST_PURPOSE = "selftest of the fingerprint database"


@dataclass
class _Finger:
    key: str  # folder/finger, for the report
    impressions: dict[int, Path]
    ppi: int | None


@dataclass
class _Person:
    fingers: list[_Finger]
    identity: str = ""  # the same for a person dealt from two folders of the same fingers
    enrolled: dict[int, int] | None = None  # finger index -> impression enrolled
    subject_id: str | None = None


def read_folder(folder: Path, ppi: int | None) -> list[_Finger]:
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder of FINGER_IMPRESSION images",
                              field="dataset")
    found: dict[int, dict[int, Path]] = {}
    for path in sorted(folder.iterdir()):
        m = _NAME.match(path.name)
        if m:
            found.setdefault(int(m.group(1)), {})[int(m.group(2))] = path
    usable = {f: imp for f, imp in found.items() if len(imp) >= 2}
    if not usable:
        raise ValidationError(f"{folder} holds no finger with two impressions or more (files "
                              "named FINGER_IMPRESSION.tif, e.g. 101_1.tif and 101_2.tif)",
                              field="dataset")
    return [_Finger(f"{folder.name}/{f}", dict(sorted(imp.items())), ppi)
            for f, imp in sorted(usable.items())]


def folder_key(folder: Path) -> str:
    """A folder's name for `selftest.toml`: lower case, letters and digits only, with the
    parent's name in front unless the folder's own name already says the competition."""
    own = re.sub(r"[^a-z0-9]", "", folder.name.lower())
    if own.startswith("fvc") or not folder.parent.name:
        return own
    return re.sub(r"[^a-z0-9]", "", folder.parent.name.lower()) + own


def same_fingers_groups(path: Path = CONFIG) -> dict[str, str]:
    """Folder key -> the name of its group of folders holding the same fingers."""
    with path.open("rb") as fh:
        table = tomllib.load(fh)
    out: dict[str, str] = {}
    for group in table.get("same_fingers", []):
        folders = [str(f) for f in group["folders"]]
        for f in folders:
            out[f] = "+".join(folders)
    return out


def deal(fingers: Sequence[_Finger], k: int, population: str
         ) -> tuple[list[_Person], list[_Person]]:
    """Chimeric subjects of k fingers, and the left-over fingers as people not enrolled;
    a person's identity is its population and finger numbers."""
    def person(chunk: Sequence[_Finger]) -> _Person:
        numbers = ",".join(f.key.rsplit("/", 1)[1] for f in chunk)
        return _Person(list(chunk), f"{population}/{numbers}")

    whole = len(fingers) // k * k
    subjects = [person(fingers[i:i + k]) for i in range(0, whole, k)]
    rest = [person(fingers[whole:])] if whole < len(fingers) else []
    return subjects, rest


@contextlib.contextmanager
def throwaway_node(keep: Path | None = None) -> Iterator[Path]:
    """Point this process's settings at a new data folder (database, audit anchors, keys),
    and back when done; the folder is removed unless `keep` names it."""
    from granica.settings import reset_settings

    folder = keep or Path(tempfile.mkdtemp(prefix="granica-asylum-selftest-"))
    saved = {k: os.environ.get(k) for k in ("GRANICA_DATA_DIR", "GRANICA_DATABASE_URL")}
    os.environ["GRANICA_DATA_DIR"] = str(folder)
    os.environ.pop("GRANICA_DATABASE_URL", None)
    reset_settings()
    try:
        yield folder
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def run(datasets: Sequence[Path], *, fingers: int = 10, ppi: Sequence[int] = (),
        progress: Callable[[str], None] = lambda _: None, keep: Path | None = None
        ) -> dict[str, Any]:
    """The selftest (see the module's text): figures as a dict (the CLI's JSON)."""
    if not 1 <= fingers <= 10:
        raise ValidationError(f"--fingers {fingers}: a subject has 1 to 10 fingers",
                              field="fingers")
    if not datasets:
        raise ValidationError("give at least one --dataset folder", field="dataset")
    if len(ppi) not in (0, 1, len(datasets)):
        raise ValidationError(f"{len(ppi)} --ppi values for {len(datasets)} folders: give one "
                              "for all, or one per folder in the same order", field="ppi")
    per_folder: list[int | None] = ([ppi[0]] * len(datasets) if len(ppi) == 1
                                     else list(ppi) or [None] * len(datasets))
    groups = same_fingers_groups()
    subjects: list[_Person] = []
    strangers: list[_Person] = []
    for folder, resolution in zip(datasets, per_folder):
        key = folder_key(folder)
        s, rest = deal(read_folder(folder, resolution), fingers, groups.get(key, key))
        subjects += s
        strangers += rest
    if not subjects:
        raise ValidationError(f"no folder has {fingers} fingers to make one subject: lower "
                              "--fingers", field="fingers")
    with throwaway_node(keep):
        return _run(subjects, strangers, progress)


def _run(subjects: list[_Person], strangers: list[_Person],
         progress: Callable[[str], None]) -> dict[str, Any]:
    from granica.asylum import service
    from granica.asylum.gallery import forget_galleries
    from granica.auth.principal import system_principal
    from granica.settings import get_settings
    from granica.storage import Database

    db = Database(get_settings().resolved_database_url)
    db.upgrade()
    forget_galleries()
    principal = system_principal(SELFTEST_PURPOSE)
    started = time.perf_counter()
    enrol_ms: list[float] = []
    retakes = not_enrolled = twin_enrolments = enrolment_false = 0
    identity_of: dict[str, str] = {}  # subject id -> identity
    for n, person in enumerate(subjects, 1):
        chosen: dict[int, int] | None = _enrolment_impressions(person)
        assert chosen is not None
        wall = time.perf_counter()
        data = service.EnrolmentIn(
            category="applicant", prints=_prints(person, chosen), surname=f"Selftest {n}",
            given_names="Subject", nationalities=["XXA"], date_of_birth=dt.date(1990, 1, 1),
            sex="X")
        while True:
            try:
                with db.session() as session:
                    outcome = service.enrol(session, principal, data, SELFTEST_PURPOSE)
                break
            except service.FingerprintQualityError as exc:  # the officer retakes those prints
                retakes += len(exc.details.get("retake", []))
                chosen = _retake(person, chosen, exc.details.get("retake", []))
                if chosen is None:
                    break
                data.prints = _prints(person, chosen)
        if chosen is None:
            not_enrolled += 1
            progress(f"subject {n}/{len(subjects)}: no impression passes the quality gate for "
                     "every finger; not enrolled")
            continue
        enrol_ms.append((time.perf_counter() - wall) * 1000)
        assert outcome.subject is not None
        person.enrolled, person.subject_id = chosen, outcome.subject.id
        identity_of[outcome.subject.id] = person.identity
        found = [identity_of.get(c.subject_id) for c in outcome.candidates]
        twin_enrolments += person.identity in found
        enrolment_false += sum(1 for i in found if i != person.identity)
        progress(f"enrolled subject {n}/{len(subjects)} ({outcome.subject.reference})")
    search_ms: list[float] = []
    identified = mated = searches = false = below_gate = 0
    todo = [(p, imp) for p in subjects if p.enrolled is not None
            for imp in _later_impressions(p)]
    todo += [(p, imp) for p in strangers for imp in _all_impressions(p)]
    for n, (person, impression) in enumerate(todo, 1):
        prints = _search_prints(person, impression)
        wall = time.perf_counter()
        ranked: list[str] = []
        while prints:
            try:
                with db.session() as session:
                    out = service.search(session, principal, prints, purpose=SELFTEST_PURPOSE,
                                         case_reference=f"selftest {n}")
                    ranked = [identity_of.get(c.subject_id, "") for c in out.candidates]
                break
            except service.FingerprintQualityError as exc:  # a search is not retaken: drop them
                gone = {r["position"] for r in exc.details.get("retake", [])}
                below_gate += len(gone)
                prints = [p for p in prints if p.position not in gone]
        search_ms.append((time.perf_counter() - wall) * 1000)
        searches += 1
        if person.subject_id is not None:
            mated += 1
            identified += bool(ranked) and ranked[0] == person.identity
        false += sum(1 for i in ranked if i != person.identity)
        if n % 10 == 0 or n == len(todo):
            progress(f"searched {n}/{len(todo)}: rank-1 {identified}/{mated}, "
                     f"false candidates {false}")
    db.dispose()
    forget_galleries()
    return {
        "subjects": len(subjects) - not_enrolled,
        "searches": searches,
        "mated_searches": mated,
        "rank1_identification_rate": round(identified / mated, 4) if mated else None,
        "false_candidates_per_search": round(false / searches, 4) if searches else None,
        "enrol_ms": _mean(enrol_ms),
        "search_ms": _mean(search_ms),
        "enrol_ms_p95": _p95(enrol_ms),
        "search_ms_p95": _p95(search_ms),
        "fingers_per_subject": len(subjects[0].fingers),
        "not_enrolled_people": len(strangers),
        "subjects_not_enrolled": not_enrolled,
        "people_enrolled_twice": twin_enrolments,
        "false_candidates_at_enrolment": enrolment_false,
        "retakes": retakes,
        "search_prints_below_gate": below_gate,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


def _enrolment_impressions(person: _Person) -> dict[int, int]:
    return {i: min(f.impressions) for i, f in enumerate(person.fingers)}


def _retake(person: _Person, chosen: dict[int, int], retake: list[dict[str, Any]]
            ) -> dict[int, int] | None:
    """The next impression of each finger the gate refused; None when one has no more (a
    finger keeps at least one impression back to be searched with)."""
    out = dict(chosen)
    for r in retake:
        i = int(r["position"]) - 1
        left = [imp for imp in person.fingers[i].impressions if imp > out[i]]
        if len(left) < 2:
            return None
        out[i] = left[0]
    return out


def _later_impressions(person: _Person) -> list[int]:
    assert person.enrolled is not None
    first = min(person.enrolled.values())
    every = sorted(set().union(*(f.impressions for f in person.fingers)))
    return [imp for imp in every if imp > first]


def _all_impressions(person: _Person) -> list[int]:
    return sorted(set().union(*(f.impressions for f in person.fingers)))


def _prints(person: _Person, chosen: dict[int, int]) -> list[Any]:
    from granica.asylum.service import PrintIn

    out = [PrintIn(position=i + 1, image=f.impressions[chosen[i]].read_bytes(), ppi=f.ppi)
           for i, f in enumerate(person.fingers)]
    out += [PrintIn(position=p, missing_reason="unable_to_print")
            for p in range(len(person.fingers) + 1, 11)]
    return out


def _search_prints(person: _Person, impression: int) -> list[Any]:
    """Each finger's given impression; for a finger enrolled with that very impression (after
    a retake), its first impression instead, so that no search uses the enrolled image."""
    from granica.asylum.service import PrintIn

    out = []
    for i, f in enumerate(person.fingers):
        imp = impression
        if person.enrolled is not None and person.enrolled[i] == impression:
            imp = min(f.impressions)
        if imp in f.impressions:
            out.append(PrintIn(position=i + 1, image=f.impressions[imp].read_bytes(), ppi=f.ppi))
    return out
