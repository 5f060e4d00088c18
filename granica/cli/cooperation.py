"""`granica cooperation ...`: import the agencies' spreadsheets (CSV, XLSX) as shared records."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

NAME = "cooperation"
app = typer.Typer(help="Cooperation between agencies: shared records.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="CSV or XLSX, header on the first row")],
    kind: Annotated[str, typer.Option(help="seizure, inspection, incident or case")],
    agency: Annotated[str | None, typer.Option(
        help="the agency that owns the records (without GRANICA_TOKEN)")] = None,
    encoding: Annotated[str, typer.Option(help="CSV encoding, e.g. utf-8 or cp1250")] = "utf-8",
    purpose: Annotated[str, typer.Option(help="recorded in the audit log")] =
        "import of an agency's records",
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Import one record a row. Every row is checked first: the first bad row stops the
    import with its line and column, and nothing is stored (no half-imported file)."""
    from granica.auth.permissions import AGENCIES
    from granica.auth.principal import system_principal
    from granica.cooperation import service, tabular
    from granica.errors import ValidationError
    from granica.storage import get_database

    db = get_database()
    token = os.environ.get("GRANICA_TOKEN")
    if token:
        from granica.auth import service as auth

        with db.session() as s:
            principal = auth.principal_from_token(s, token)
    else:
        if agency is None or agency not in AGENCIES:
            raise ValidationError(f"say which agency owns the records: --agency one of "
                                  f"{', '.join(AGENCIES)} (or set GRANICA_TOKEN)",
                                  field="agency")
        principal = dataclasses.replace(system_principal(f"command line for {agency}"),
                                        agency=agency)
    started = time.perf_counter()
    interactive = sys.stderr.isatty()

    def progress(done: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-9)
        end = "" if interactive else "\n"
        print(f"\r{done:,} rows imported ({rate:,.0f}/s)", end=end, file=sys.stderr, flush=True)

    with db.session() as session:
        if file.suffix.lower() == ".xlsx":
            rows = tabular.read_xlsx(kind, file)
            result = service.import_records(session, principal, kind, rows, purpose,
                                            progress=progress)
        else:
            with file.open("rb") as fh:
                rows = tabular.read_csv(kind, fh, file.name, encoding)
                result = service.import_records(session, principal, kind, rows, purpose,
                                                progress=progress)
    elapsed = time.perf_counter() - started
    if interactive:
        print(file=sys.stderr)
    result["seconds"] = round(elapsed, 3)
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{result['imported']:,} {kind} records imported in {elapsed:.1f} s "
              f"(batch {result['batch']})")
