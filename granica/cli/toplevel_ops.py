"""Top-level operations commands: `granica backup FILE` and `granica restore FILE`."""

from __future__ import annotations

from pathlib import Path

import typer


def backup(file: Path = typer.Argument(..., help="where to write the backup")) -> None:
    """Back up the configured database (SQLite online backup, or pg_dump custom format)."""
    from granica.ops.backup import backup as run
    from granica.storage import get_database

    db = get_database()
    out = run(db, file)
    typer.echo(f"backed up {db.dialect} database to {out} ({out.stat().st_size} bytes)")


def restore(
    file: Path = typer.Argument(..., help="a file written by `granica backup`"),
    force: bool = typer.Option(False, "--force", help="overwrite a database that holds data"),
) -> None:
    """Restore a backup into the configured database, then verify the audit chain."""
    from granica.ops.backup import restore as run
    from granica.storage import get_database

    result = run(get_database(), file, force=force)
    typer.echo(f"restored {result.dialect} database from {file}")
    if result.verify.ok:
        typer.echo(result.verify.message)
    else:
        typer.echo("audit chain does NOT verify after restore: " + result.verify.message, err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
