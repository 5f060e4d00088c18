"""`granica sirene ...`: the SIRENE Bureau's cases, forms, duty board and statistics, and the
link drill between bureaux (`granica sirene drill --nodes 3 --json`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from granica.storage import Database

NAME = "sirene"
app = typer.Typer(help="The SIRENE Bureau: cases, forms, deadlines, link drills.",
                  no_args_is_help=True)

Purpose = Annotated[str, typer.Option("--purpose",
                                      help="why you are doing this (recorded in the audit log)")]
PURPOSE = "command-line work of the SIRENE Bureau"
AsJson = Annotated[bool, typer.Option("--json", help="print as JSON")]


def _database() -> Database:
    import sqlalchemy as sa

    from granica.errors import GranicaError
    from granica.storage import get_database

    db = get_database()
    if not sa.inspect(db.engine).has_table("sirene_case"):
        raise GranicaError(f"the database {db.url.split('@')[-1]} has no SIRENE tables; run "
                           "`granica db upgrade` first")
    return db


def _print(value: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str) if as_json else text)


@app.command("intake")
def intake(as_json: AsJson = False) -> None:
    """Take up the new hit reports now: a case and a form G for each hit on another
    country's alert (the serving node does it within seconds of each hit)."""
    from granica.cli._caller import caller
    from granica.sirene import service

    db = _database()
    with db.session() as s:
        done = service.take_hits(s, caller(db, service.INBOX))
    _print(done, as_json, ", ".join(f"{v} {k}" for k, v in done.items()) or "no new hit reports")


@app.command("cases")
def cases(text: Annotated[str, typer.Option("--text", help="words to search for")] = "",
          state: Annotated[str, typer.Option("--state", help="new, in_progress, waiting, closed")] = "",
          purpose: Purpose = PURPOSE, as_json: AsJson = False) -> None:
    """The cases, most recently changed first."""
    from granica.cli._caller import caller
    from granica.sirene import service

    db = _database()
    with db.session() as s:
        found = service.list_cases(s, caller(db), text=text, state=state, purpose=purpose)
    _print(found, as_json, "\n".join(
        f"{c['reference']:<18} {c['state']:<12} {c['counterpart']:<4} {c['schengen_id']:<22} "
        f"{c['subject']}" for c in found) or "no cases")


@app.command("show")
def show(case: Annotated[str, typer.Argument(help="case id or reference")],
         purpose: Purpose = PURPOSE, as_json: AsJson = False) -> None:
    """One case with its forms and notes."""
    from granica.cli._caller import caller
    from granica.sirene import service

    db = _database()
    with db.session() as s:
        view = service.get_case(s, caller(db), case, purpose=purpose)
    lines = [f"{view['reference']} ({view['state']}) with {view['counterpart']}: {view['subject']}"]
    lines += [f"  {x['direction']:<3} {x['form']} {x['reference']:<18} {x['message_time'][:19]} "
              f"due {x['due_at'] or '-'} answered {x['answered_at'] or '-'}"
              for x in view["messages"]]
    _print(view, as_json, "\n".join(lines))


@app.command("send")
def send(case: Annotated[str, typer.Argument(help="case id or reference")],
         form: Annotated[str, typer.Option("--form", help="the form's letter")],
         field: Annotated[list[str], typer.Option("--field", help="NAME=VALUE (repeat)")],
         reply_to: Annotated[str | None, typer.Option("--reply-to", help="reference answered")] = None,
         attach: Annotated[list[Path] | None, typer.Option(
             "--attach", exists=True, dir_okay=False, help="a file to attach (repeat)")] = None,
         purpose: Purpose = PURPOSE, as_json: AsJson = False) -> None:
    """Send a form on a case to its bureau."""
    import mimetypes

    from granica.cli._caller import caller
    from granica.errors import ValidationError
    from granica.sirene import service

    fields = {}
    for item in field:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f"--field {item!r}: write NAME=VALUE", field="field")
        fields[name.strip()] = value
    uploads = [service.Upload(p.name, mimetypes.guess_type(p.name)[0] or "application/octet-stream",
                              p.read_bytes()) for p in attach or []]
    db = _database()
    with db.session() as s:
        sent = service.send_form(s, caller(db), case, form, fields=fields, attachments=uploads,
                                 reply_to=reply_to, purpose=purpose)
    _print(sent, as_json, f"form {sent['form']} {sent['reference']} queued to {sent['recipient']}")


@app.command("duty")
def duty(purpose: Purpose = PURPOSE, as_json: AsJson = False) -> None:
    """The duty board: answers escalated, overdue and due, and forms waiting for an answer."""
    from granica.cli._caller import caller
    from granica.sirene import service

    db = _database()
    with db.session() as s:
        board = service.duty_board(s, caller(db), purpose=purpose)
    lines = [f"shift {board['shift']}: " + ", ".join(f"{v} {k}" for k, v in board["counts"].items())]
    for level in ("escalated", "overdue", "due", "waiting"):
        lines += [f"  {level:<9} {x['case_reference']:<18} {x['form']} {x['reference']:<18} due "
                  f"{x['due_at']}" for x in board[level]]
    _print(board, as_json, "\n".join(lines))


@app.command("statistics")
def statistics(csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
               purpose: Purpose = PURPOSE, as_json: AsJson = False) -> None:
    """Forms sent and received per form and country, hits and reply times."""
    from granica.cli._caller import caller
    from granica.sirene import service

    db = _database()
    with db.session() as s:
        stats = service.statistics(s, caller(db), purpose=purpose)
    if csv:
        typer.echo(service.statistics_csv(stats), nl=False)
        return
    _print(stats, as_json, service.statistics_csv(stats))


@app.command("drill-seed", hidden=True)
def drill_seed(alerts: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """(Used by `granica sirene drill` on each node.) The drill's alerts, crossing point and
    users; prints their tokens as JSON."""
    from granica.settings import get_settings
    from granica.sirene.drill import seed

    typer.echo(json.dumps(seed(_database(), get_settings().bureau_code, alerts)))


@app.command("drill")
def drill(nodes: Annotated[int, typer.Option("--nodes", min=3, max=8, help="bureaux to start")] = 3,
          keep: Annotated[Path | None, typer.Option(
              "--keep", file_okay=False, help="keep the nodes' folders here")] = None,
          timeout: Annotated[float, typer.Option("--timeout", min=10, help="seconds each step "
                                                 "may take")] = 120.0,
          as_json: AsJson = False) -> None:
    """Drill the links between bureaux: start NODES nodes on 127.0.0.1, exchange hits and
    answers through a SIGKILL of a recipient and of a sender, a forged and a replayed
    message, and print what was sent, delivered, duplicated, lost, rejected and answered
    within the deadline. Exit code 1 when anything was lost, duplicated or accepted forged."""
    from granica.sirene.drill import run

    def progress(text: str) -> None:
        print(f"drill: {text}", file=sys.stderr, flush=True)

    result = run(nodes, keep, timeout=timeout, progress=progress)
    text = (f"{result['sent']} forms sent, {result['delivered']} delivered, "
            f"{result['duplicated']} duplicated, {result['lost']} lost; forged rejected: "
            f"{result['forged_rejected']}; answered within the deadline: "
            f"{result['answered_within_deadline']} of {result['answers_asked']} "
            f"({result['seconds']} s)")
    _print(result, as_json, text)
    if result["lost"] or result["duplicated"] or not result["forged_rejected"]:
        raise typer.Exit(1)
