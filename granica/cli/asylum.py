"""`granica asylum ...`: the national fingerprint database from the command line: enrol a
subject from image files or an ANSI/NIST-ITL transaction, search on an authority's request,
run the retention job, and the deployment's selftest on FVC-style folders."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from granica.asylum.service import Outcome, PrintIn
    from granica.storage import Database

NAME = "asylum"
app = typer.Typer(help="National fingerprint database (EURODAC): enrol, search, retention, "
                  "selftest.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="print as JSON")]
Fingers = Annotated[list[str] | None, typer.Option(
    "--finger", help="POSITION=FILE, e.g. 1=right-thumb.tif (positions 1-10, ANSI/NIST); "
    "repeat for each finger")]
Missing = Annotated[list[str] | None, typer.Option(
    "--missing", help="POSITION=REASON for a finger without a print: amputated, "
    "unable_to_print, bandaged, poor_quality")]
Transaction = Annotated[Path | None, typer.Option(
    "--transaction", exists=True, dir_okay=False,
    help="an ANSI/NIST-ITL ten-print transaction (.an2, .eft) instead of --finger files")]
Impression = Annotated[str, typer.Option("--impression", help="flat or rolled (for --finger)")]
Ppi = Annotated[int | None, typer.Option("--ppi", help="scan resolution where the files do not "
                                         "say it (FVC2002 DB2: 569); default 500")]


def _database() -> Database:
    import sqlalchemy as sa

    from granica.errors import GranicaError
    from granica.storage import get_database

    db = get_database()
    if not sa.inspect(db.engine).has_table("asylum_subject"):
        raise GranicaError(f"the database {db.url.split('@')[-1]} has no fingerprint database "
                           "tables; run `granica db upgrade` first")
    return db


def _pairs(values: list[str] | None, what: str) -> dict[int, str]:
    from granica.errors import ValidationError

    out: dict[int, str] = {}
    for value in values or []:
        head, sep, tail = value.partition("=")
        if not sep or not head.strip().isdigit() or not tail.strip():
            raise ValidationError(f"--{what} {value!r}: write POSITION=VALUE, e.g. 1=...",
                                  field=what)
        position = int(head)
        if not 1 <= position <= 10:
            raise ValidationError(f"--{what} {value!r}: finger positions are 1 (right thumb) "
                                  "to 10 (left little)", field=what)
        if position in out:
            raise ValidationError(f"--{what}: finger {position} is given twice", field=what)
        out[position] = tail.strip()
    return out


def _prints(fingers: list[str] | None, missing: list[str] | None, transaction: Path | None,
            impression: str, ppi: int | None) -> tuple[list[PrintIn], bytes | None]:
    from granica.asylum import intake
    from granica.errors import ValidationError

    gaps = _pairs(missing, "missing")
    if transaction is not None:
        if fingers:
            raise ValidationError("give either --transaction or --finger files, not both",
                                  field="finger")
        return intake.prints_from_transaction(transaction.read_bytes(), gaps)
    files = {p: Path(v) for p, v in _pairs(fingers, "finger").items()}
    for position, path in files.items():
        if not path.is_file():
            raise ValidationError(f"--finger {position}={path}: no such file", field="finger")
    if not files:
        raise ValidationError("give the prints: --finger POSITION=FILE (repeat) or "
                              "--transaction FILE", field="finger")
    return intake.prints_from_files(files, gaps, impression=impression, ppi=ppi), None


def _outcome(outcome: Outcome) -> dict[str, Any]:
    subject = outcome.subject
    return {
        "reference": subject.reference if subject else None,
        "category": subject.category if subject else outcome.search.category,
        "search": outcome.search.id,
        "candidates": [{"candidate": c.id, "rank": c.rank, "subject": c.subject_id,
                        "score": c.score, "finger_scores": c.finger_scores}
                       for c in outcome.candidates],
        "transmission_due": (subject.transmission_due.isoformat()
                             if subject and subject.transmission_due else None),
        "warnings": outcome.warnings,
        "replayed": outcome.replayed,
    }


def _show(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    if result["reference"]:
        typer.echo(f"enrolled {result['reference']} ({result['category']})")
    typer.echo(f"search {result['search']}: {len(result['candidates'])} candidate(s) for the "
               "fingerprint expert" if result["candidates"] else
               f"search {result['search']}: no candidate")
    for c in result["candidates"]:
        typer.echo(f"  {c['rank']:>2}. subject {c['subject']}  score {c['score']:.3f}")
    for w in result["warnings"]:
        typer.echo(f"note: {w}")


@app.command("enrol")
def enrol(
    category: Annotated[str, typer.Option("--category", help="applicant, irregular_crossing, "
                                          "illegal_stay, resettlement, ... (categories.toml)")],
    finger: Fingers = None, missing: Missing = None, transaction: Transaction = None,
    impression: Impression = "flat", ppi: Ppi = None,
    surname: Annotated[str, typer.Option("--surname")] = "",
    given_names: Annotated[str, typer.Option("--given-names")] = "",
    nationality: Annotated[list[str] | None, typer.Option(
        "--nationality", help="ISO 3166 alpha-3, repeat for several")] = None,
    date_of_birth: Annotated[str | None, typer.Option("--date-of-birth",
                                                      help="YYYY-MM-DD")] = None,
    age_uncertain: Annotated[bool, typer.Option(
        "--age-uncertain", help="not certain the person has reached the minimum age")] = False,
    sex: Annotated[str, typer.Option("--sex", help="M, F or X")] = "X",
    place: Annotated[str, typer.Option("--place", help="where the person was registered")] = "",
    key: Annotated[str | None, typer.Option(
        "--key", help="enrolment key: sending the same enrolment twice stores it once")] = None,
    purpose: Annotated[str, typer.Option("--purpose")] = "asylum procedure",
    as_json: AsJson = False,
) -> None:
    """Enrol a data subject: the quality gate, the age rule, every finger printed or its
    absence explained, then the 1:N search by the category's rules. Candidates go to the
    fingerprint experts' queue; none is a hit until an expert confirms it."""
    from granica.asylum import service
    from granica.cli._caller import caller
    from granica.errors import ValidationError

    born = None
    if date_of_birth:
        try:
            born = dt.date.fromisoformat(date_of_birth)
        except ValueError:
            raise ValidationError(f"--date-of-birth {date_of_birth!r} is not a date: write "
                                  "YYYY-MM-DD", field="date_of_birth") from None
    prints, face = _prints(finger, missing, transaction, impression, ppi)
    data = service.EnrolmentIn(
        category=category, prints=prints, surname=surname, given_names=given_names,
        nationalities=list(nationality or []), date_of_birth=born, age_uncertain=age_uncertain,
        sex=sex.upper(), registration_place=place, face=face, enrolment_key=key)
    db = _database()
    principal = caller(db, purpose)
    with db.session() as s:
        result = _outcome(service.enrol(s, principal, data, purpose))
    _show(result, as_json)


@app.command("search")
def search(
    purpose: Annotated[str, typer.Option("--purpose", help="why the search is made (audited)")],
    case_reference: Annotated[str, typer.Option("--case-reference",
                                                help="the requesting authority's case")],
    finger: Fingers = None, transaction: Transaction = None, impression: Impression = "flat",
    ppi: Ppi = None, as_json: AsJson = False,
) -> None:
    """A 1:N search on its own, at an authority's documented request; candidates go to the
    fingerprint experts like an enrolment's."""
    from granica.asylum import service
    from granica.cli._caller import caller

    prints, _ = _prints(finger, None, transaction, impression, ppi)
    db = _database()
    principal = caller(db, purpose)
    with db.session() as s:
        result = _outcome(service.search(s, principal, prints, purpose=purpose,
                                         case_reference=case_reference))
    _show(result, as_json)


@app.command("retention")
def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be erased")] = False,
    as_json: AsJson = False,
) -> None:
    """Erase the subjects whose category's retention period has ended (images, templates and
    biographic data; the reference and the dates stay, for the audit)."""
    from granica.asylum import service
    from granica.cli._caller import caller

    db = _database()
    with db.session() as s:
        due = service.retention(s, caller(db, "retention"), dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps({"dry_run": dry_run, "erased": 0 if dry_run else len(due),
                               "subjects": due}))
        return
    verb = "would erase" if dry_run else "erased"
    typer.echo(f"{verb} {len(due)} subject(s) at the end of their retention period")
    for d in due:
        typer.echo(f"  {d['reference']}  {d['category']:<20} retained until {d['retained_until']}")


@app.command("transmission")
def transmission(
    hours: Annotated[float, typer.Option("--hours", help="also list those due within")] = 12,
    as_json: AsJson = False,
) -> None:
    """Subjects not yet transmitted to the central system: overdue, or due soon."""
    from granica.asylum import service
    from granica.cli._caller import caller

    db = _database()
    with db.session() as s:
        rows = service.transmission_status(s, caller(db), warn_hours=hours)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for r in rows:
        typer.echo(f"{r['reference']}  {r['category']:<20} due {r['due']}  {r['state']}")
    if not rows:
        typer.echo("nothing overdue or due soon")


@app.command("selftest")
def selftest(
    dataset: Annotated[list[Path], typer.Option(
        "--dataset", help="folder of FINGER_IMPRESSION images (FVC style); more folders may "
        "follow it (--dataset A B C) or repeat it")],
    more: Annotated[list[Path] | None, typer.Argument(
        help="more folders (after --dataset)", show_default=False)] = None,
    fingers: Annotated[int, typer.Option("--fingers", help="fingers per subject (1-10)")] = 10,
    ppi: Annotated[list[int] | None, typer.Option(
        "--ppi", help="scan resolution: once for every folder, or once per folder in order")] = None,
    keep: Annotated[Path | None, typer.Option(
        "--keep", help="keep the throwaway database in this folder for a look after")] = None,
    as_json: AsJson = False,
) -> None:
    """Enrol chimeric subjects from the folders and search them with their other impressions,
    through the real service layer on a throwaway database; prints the rank-1 identification
    rate, the false candidates per search and the times."""
    from granica.asylum import selftest as st

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = st.run([*dataset, *(more or [])], fingers=fingers, ppi=ppi or [], progress=progress, keep=keep)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for k, v in result.items():
        typer.echo(f"{k:>28}: {v}")


@app.command("transmit")
def transmit(
    reference: Annotated[str, typer.Argument(help="the subject's reference number")],
    as_json: AsJson = False,
) -> None:
    """Send a subject to the central system now (again, if it was sent: the same reference
    number under a new transaction control number); the job sends the rest by deadline."""
    from granica.asylum import transmission
    from granica.cli._caller import caller

    db = _database()
    with db.session() as s:
        row = transmission.transmit(s, caller(db, "asylum procedure"), reference)
        out = {"reference": row.reference, "tcn": row.tcn, "peer": row.peer,
               "message": row.message_id}
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(f"{out['reference']} queued for {out['peer']} as {out['tcn']}")


@app.command("transmissions")
def transmissions(
    reference: Annotated[str, typer.Argument(help="the subject's reference number")],
    as_json: AsJson = False,
) -> None:
    """A subject's transmissions to the central system: delivery and the central's answer."""
    from granica.asylum import transmission
    from granica.cli._caller import caller

    db = _database()
    with db.session() as s:
        out = transmission.transmissions(s, caller(db), reference)
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{out['reference']}: due {out['transmission_due']}, transmitted "
               f"{out['transmitted_at'] or 'not yet'}")
    for t in out["transmissions"]:
        typer.echo(f"  {t['tcn']}  sent {t['sent_at']}  {t['delivery'] or '-':<10} "
                   f"{t['result'] or 'no answer yet'}")


training_app = typer.Typer(help="Training node (GRANICA_TRAINING=1): synthetic people and the "
                           "trainees' scores.", no_args_is_help=True)
app.add_typer(training_app, name="training")


@training_app.command("seed")
def training_seed(
    subjects: Annotated[int, typer.Option("--subjects", min=1, max=100_000,
                                          help="synthetic people to enrol")] = 20,
    as_json: AsJson = False,
) -> None:
    """Enrol synthetic people in the training database (the gallery the exercises search);
    a second run adds none of those already there."""
    from granica.asylum import training

    db = _database()
    added = 0
    for start in range(0, subjects, 10):
        with db.session() as s:
            added += training.seed_population(s, min(10, subjects - start), first=start)
        print(f"{min(start + 10, subjects)}/{subjects} synthetic people", file=sys.stderr,
              flush=True)
    if as_json:
        typer.echo(json.dumps({"subjects": subjects, "added": added}))
    else:
        typer.echo(f"{added} synthetic people enrolled ({subjects - added} were there already)")


@training_app.command("scores")
def training_scores(as_json: AsJson = False) -> None:
    """Each trainee's checked exercises and points (GRANICA_TOKEN of a supervisor shows all)."""
    from granica.asylum import training
    from granica.cli._caller import caller

    db = _database()
    with db.session() as s:
        rows = training.scores(s, caller(db, "training"))
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for r in rows:
        typer.echo(f"{r['trainee']:<24} {r['exercises']:>4} exercise(s)  {r['points']:>5} / "
                   f"{r['max_points']:<5} {100 * r['score']:.0f} %")
    if not rows:
        typer.echo("no exercise checked yet")
