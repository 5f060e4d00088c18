"""`granica users ...`: add, disable, unlock users and issue bearer tokens (acts as the system)."""

from __future__ import annotations

import json
from typing import Any

import typer

NAME = "users"
app = typer.Typer(help="Manage users, lock-outs and bearer tokens.", no_args_is_help=True)


@app.command("add")
def add(
    username: str = typer.Argument(..., help="login name (a-z, 0-9, '.', '_', '-')"),
    agency: str = typer.Option(..., "--agency", help="agency code, e.g. BORDER_POLICE"),
    role: list[str] = typer.Option(..., "--role", help="role (repeat for several)"),
    password: str = typer.Option(None, "--password", help="omit to be prompted"),
    display_name: str = typer.Option("", "--display-name"),
    language: str = typer.Option("en", "--language", help="en, sr-Latn or sr-Cyrl"),
    station: str = typer.Option(None, "--station", help="border crossing point or office"),
) -> None:
    """Create a user with a password (checked against the password rules)."""
    from granica.auth import service
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with get_database().session() as s:
        user = service.create_user(
            s, system_principal("granica users add"), username=username, password=password,
            agency=agency, roles=role, display_name=display_name, language=language,
            station=station,
        )
        typer.echo(f"created user {user.username} ({user.agency}: {', '.join(user.roles)})")


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user: their sessions end and their tokens are revoked."""
    from granica.auth import service
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    with get_database().session() as s:
        service.disable_user(s, system_principal("granica users disable"), username)
    typer.echo(f"disabled {username}")


@app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled user again."""
    from granica.auth import service
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    with get_database().session() as s:
        service.enable_user(s, system_principal("granica users enable"), username)
    typer.echo(f"enabled {username}")


@app.command("unlock")
def unlock(username: str) -> None:
    """Lift a lock-out after failed logins."""
    from granica.auth import service
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    with get_database().session() as s:
        service.unlock_user(s, system_principal("granica users unlock"), username)
    typer.echo(f"unlocked {username}")


@app.command("token")
def token(
    username: str,
    name: str = typer.Option(..., "--name", help="what client uses the token"),
    days: int = typer.Option(None, "--days", help="lifetime (default from settings)"),
) -> None:
    """Issue a bearer token; it is printed once and stored only as a hash."""
    from granica.auth import service
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    with get_database().session() as s:
        value = service.issue_token(s, system_principal("granica users token"), username,
                                    name=name, days=days)
    typer.echo(value)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """List users with their agency, roles and state."""
    from granica.auth import service
    from granica.auth.principal import system_principal
    from granica.storage import get_database

    with get_database().session() as s:
        users = service.list_users(s, system_principal("granica users list"))
        rows: list[dict[str, Any]] = [{"username": u.username, "agency": u.agency, "roles": u.roles,
                 "display_name": u.display_name, "disabled": u.disabled,
                 "locked_until": u.locked_until.isoformat() if u.locked_until else None}
                for u in users]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
        typer.echo(f"{r['username']:<24} {r['agency']:<18} {','.join(r['roles']):<30} {state}")
