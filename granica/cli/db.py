"""`granica db ...`: bring the schema up to date and show its revision."""

from __future__ import annotations

import typer

NAME = "db"
app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration to the configured database."""
    from granica.storage import get_database
    from granica.storage.migrate import current

    db = get_database()
    db.upgrade()
    typer.echo(f"database at revision {current(db)} ({db.dialect})")


@app.command("current")
def current_() -> None:
    """Print the database's current schema revision."""
    from granica.storage import get_database
    from granica.storage.migrate import current

    typer.echo(current(get_database()) or "(empty: run `granica db upgrade`)")
