"""`granica audit ...`: verify the hash chain, sign its head, prune past retention, list rows."""

from __future__ import annotations

import json

import typer

NAME = "audit"
app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="print the result as JSON")) -> None:
    """Recompute the chain and check the signed anchors; exit 1 naming the first bad row."""
    from granica.audit.verify import verify as run
    from granica.storage import get_database

    result = run(get_database())
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        typer.echo(("OK: " if result.ok else "FAILED: ") + result.message,
                   err=not result.ok)
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command("sign")
def sign(if_due: bool = typer.Option(False, "--if-due", help="only when the interval passed")
         ) -> None:
    """Sign the chain head and append it to the anchors file outside the database."""
    from granica.audit.signing import sign_head, sign_head_if_due
    from granica.settings import get_settings
    from granica.storage import get_database

    anchor = sign_head_if_due(get_database()) if if_due else sign_head(get_database())
    if anchor is None:
        typer.echo("nothing to sign")
    else:
        typer.echo(f"signed row {anchor['seq']} into {get_settings().audit_anchor_file}")


@app.command("prune")
def prune() -> None:
    """Delete rows past the retention period, keeping a signed checkpoint."""
    from granica.audit.prune import prune as run
    from granica.storage import get_database

    result = run(get_database())
    typer.echo(json.dumps(result.to_dict()))


@app.command("list")
def list_(
    purpose: str = typer.Option(..., "--purpose", help="why you read the log (audited)"),
    subject: str = typer.Option(None, "--subject", help="subject id (alert, person, user)"),
    user: str = typer.Option(None, "--user"),
    action: str = typer.Option(None, "--action", help="action prefix, e.g. alerts."),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """List audit rows, newest first, as JSON lines (acts as the system, audited)."""
    from granica.audit.search import search
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    with get_database().session() as s:
        page = search(s, system_principal("granica audit list"), purpose=purpose,
                      subject_id=subject, username=user, action=action, limit=limit)
    for row in page.rows:
        typer.echo(json.dumps(row, ensure_ascii=False))
