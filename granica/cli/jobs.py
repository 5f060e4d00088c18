"""`granica jobs run|list`: the scheduled jobs (audit head signing, alert review warnings,
deletion at expiry, ...), run once from the command line or cron."""

from __future__ import annotations

import json
from typing import Annotated

import typer

NAME = "jobs"
app = typer.Typer(help="Scheduled jobs: run them once now, or list them.", no_args_is_help=True)


@app.command("run")
def run(
    names: Annotated[list[str] | None, typer.Argument(help="jobs to run (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
) -> None:
    """Run every scheduled job (or the named ones) once, now; exit code 1 if one failed."""
    from granica import jobs
    from granica.storage import get_database

    results = jobs.run_all(get_database(), names or None)
    if as_json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, default=str))
    else:
        for r in results:
            state = "ok" if r.ok else f"FAILED: {r.error}"
            print(f"{r.name:<24} {state}  ({r.seconds:.2f} s)  {r.result if r.ok else ''}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command("list")
def list_jobs() -> None:
    """Show the registered jobs and how often `granica serve` runs them."""
    from granica import jobs

    for name, job in sorted(jobs.load_jobs().items()):
        print(f"{name:<24} every {job.every}  {job.description}")
