"""`granica alerts ...`: import, export, search, show and maintain the national alert register."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from granica.auth.principal import Principal
    from granica.storage import Database

NAME = "alerts"
app = typer.Typer(help="The national alert register (N.SIS).", no_args_is_help=True)

Purpose = Annotated[str, typer.Option("--purpose",
                                      help="why you are doing this (recorded in the audit log)")]
PURPOSE = "command-line work on the alert register"


def _database() -> Database:
    import sqlalchemy as sa

    from granica.errors import GranicaError
    from granica.storage import get_database

    db = get_database()
    if not sa.inspect(db.engine).has_table("sis_alert"):
        raise GranicaError(f"the database {db.url.split('@')[-1]} has no alert tables; run "
                           "`granica db upgrade` first")
    return db


def _principal(db: Database) -> Principal:
    from granica.cli._caller import caller

    return caller(db)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL, one alert per line")],
    purpose: Purpose = PURPOSE,
    batch_size: Annotated[int, typer.Option(min=1, max=50_000)] = 2000,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Load alerts (the national copy of other countries' alerts, or an export) from a JSONL file.

    Good lines are stored, each rejected line is reported with its reason; exit code 1 when
    some lines were rejected.
    """
    from granica.sis import service

    db = _database()
    principal = _principal(db)
    started = time.perf_counter()

    def progress(report: service.ImportReport) -> None:
        rate = report.imported / max(time.perf_counter() - started, 1e-9)
        print(f"\r{report.read} read, {report.imported} imported, {len(report.rejected)} rejected "
              f"({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)

    with db.session() as session, file.open("rb") as fh:
        report = service.import_alerts(session, principal, fh, purpose=purpose,
                                       batch_size=batch_size, progress=progress,
                                       max_bytes=sys.maxsize)
    print(file=sys.stderr)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        for rejection in report.rejected:
            print(f"rejected {rejection['message']}")
        print(f"{report.imported} of {report.read} alerts imported, {len(report.rejected)} rejected "
              f"in {time.perf_counter() - started:.1f} s")
    if report.rejected:
        raise typer.Exit(1)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file ('-' for stdout)")] = Path("-"),
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    country: Annotated[str | None, typer.Option(help="only alerts issued by this country")] = None,
    purpose: Purpose = PURPOSE,
) -> None:
    """Write alerts, one per line, in the API's alert shape (importable again)."""
    from granica.sis import service

    db = _database()
    principal = _principal(db)
    stream = sys.stdout if str(out) == "-" else out.open("w", encoding="utf-8")
    n = 0
    try:
        with db.session() as session:
            for view in service.export_alerts(session, principal, purpose=purpose, category=category,
                                              issuing_country=country):
                stream.write(service.export_line(view) + "\n")
                n += 1
    finally:
        if stream is not sys.stdout:
            stream.close()
    print(f"exported {n} alerts", file=sys.stderr)


@app.command("search")
def search(
    name: Annotated[str | None, typer.Option(help="person name, any script, order or spelling")] = None,
    dob: Annotated[str | None, typer.Option("--dob", help="date of birth YYYY-MM-DD, YYYY-MM or YYYY")] = None,
    dob_mode: Annotated[str, typer.Option(help="exact | year | approximate")] = "exact",
    nationality: Annotated[str | None, typer.Option()] = None,
    sex: Annotated[str | None, typer.Option()] = None,
    document: Annotated[str | None, typer.Option(help="document number")] = None,
    vin: Annotated[str | None, typer.Option()] = None,
    plate: Annotated[str | None, typer.Option()] = None,
    firearm: Annotated[str | None, typer.Option(help="firearm serial number")] = None,
    make: Annotated[str | None, typer.Option()] = None,
    calibre: Annotated[str | None, typer.Option()] = None,
    identifier: Annotated[str | None, typer.Option(help="any object identifier")] = None,
    country: Annotated[str | None, typer.Option(help="country of the document or plate")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    purpose: Purpose = PURPOSE,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
) -> None:
    """Search persons or objects; results are ranked with their reasons and the action to be taken."""
    from granica.errors import ValidationError
    from granica.sis import search as s

    db = _database()
    principal = _principal(db)
    with db.session() as session:
        results: list[dict[str, Any]]
        if name:
            results = s.search_person(session, principal, name=name, date_of_birth=dob,
                                      dob_mode=dob_mode, nationality=nationality,  # type: ignore[arg-type]
                                      sex=sex, purpose=purpose, limit=limit)
        elif document:
            results = s.find_document(session, principal, document, country=country, purpose=purpose)
        elif vin or plate:
            results = s.find_vehicle(session, principal, vin=vin, plate=plate, country=country,
                                     purpose=purpose)
        elif firearm:
            results = s.find_firearm(session, principal, firearm, make=make, calibre=calibre,
                                     purpose=purpose)
        elif identifier:
            results = s.find_object(session, principal, identifier, country=country, purpose=purpose)
        else:
            raise ValidationError("give --name, --document, --vin, --plate, --firearm or --identifier")
    if as_json:
        print(json.dumps(results[:limit], ensure_ascii=False, indent=1))
        return
    if not results:
        print("no alerts found")
    for r in results[:limit]:
        possible = "  (possible match: verify the identity)" if r.get("match") == "possible" else ""
        print(f"{r['score']:.2f}  {r['schengen_id']}  {r['issuing_country']}  {r['category']}  "
              f"{r['summary']}{possible}")
        print(f"      action: {r['action_to_be_taken']}")
        for w in r["warnings"]:
            print(f"      warning: {w}")
        print(f"      why: {'; '.join(r['reasons'])}")


@app.command("show")
def show(alert_id: Annotated[str, typer.Argument(help="alert id or Schengen identifier")],
         purpose: Purpose = PURPOSE) -> None:
    """One alert as JSON (the API's shape)."""
    from granica.sis import service

    db = _database()
    with db.session() as session:
        view = service.get_alert(session, _principal(db), alert_id, purpose=purpose)
    print(json.dumps(view, ensure_ascii=False, indent=1))


@app.command("maintain")
def maintain() -> None:
    """Warn about reviews due within 4 months and delete alerts past their review date."""
    from granica.auth.principal import system_principal
    from granica.sis import service

    db = _database()
    principal = system_principal("alert review and expiry")
    with db.session() as session:
        warned = service.review_warnings(session, principal, purpose="review warnings")
        deleted = service.delete_expired(session, principal)
    print(json.dumps({"review_warnings": len(warned), "deleted": deleted}))


@app.command("reindex")
def reindex() -> None:
    """Rebuild the name keys and identifiers (after the name-matching library changed);
    prints {"reindexed": N} on stdout."""
    from granica.auth.principal import system_principal
    from granica.sis import service

    db = _database()
    with db.session() as session:
        n = service.reindex_all(session, system_principal("reindex"))
    print(f"reindexed {n} alerts", file=sys.stderr)
    print(json.dumps({"reindexed": n}))
