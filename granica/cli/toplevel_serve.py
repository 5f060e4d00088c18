"""Top-level commands `granica serve` and `granica demo` (see serve.py for what they do)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class Role(str, Enum):
    national = "national"
    eurodac_central = "eurodac-central"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        host: Annotated[str | None, typer.Option(help="address to listen on (GRANICA_HOST)")] = None,
        port: Annotated[int | None, typer.Option(help="port (GRANICA_PORT)")] = None,
        jobs: Annotated[bool, typer.Option(help="run the scheduled jobs in the background")] = True,
        migrate: Annotated[bool, typer.Option(help="bring the schema up to date first")] = False,
        workers: Annotated[int, typer.Option(
            min=1, help="serving processes on the one port (one per core; the first also "
            "runs the scheduled jobs and the delivery to other nodes)")] = 1,
        role: Annotated[Role | None, typer.Option(
            help="national node, or the stand-in EURODAC central system (GRANICA_NODE_ROLE)")
        ] = None,
        training: Annotated[bool, typer.Option(
            "--training", help="a training node: its own data folder and database "
            "(<data_dir>/training), a banner on every page (GRANICA_TRAINING)")] = False,
    ) -> None:
        """Serve the API and the pages on the configured database.

        API under /api/v1 (reference at /api/docs), JSON logs on stderr, scheduled jobs
        in a background thread.
        """
        from granica.cli.serve import serve

        if role is not None:
            _environ("GRANICA_NODE_ROLE", role.value)
        if training:
            _environ("GRANICA_TRAINING", "1")
        serve(host, port, jobs=jobs, migrate=migrate, workers=workers)

    @app.command("demo")
    def demo_command(
        count: Annotated[int, typer.Option(help="synthetic alerts to have in the register")] = 10_000,
        host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
        port: Annotated[int | None, typer.Option(help="port")] = None,
        serve: Annotated[bool, typer.Option(help="start the server after seeding")] = True,
        training: Annotated[bool, typer.Option(
            "--training", help="a training node in ./granica-data/training instead, with "
            "synthetic people in its fingerprint database")] = False,
    ) -> None:
        """Demo node: embedded database with demo users and alerts, served on port 8000.

        Creates ./granica-data (an embedded SQLite database), demo users of every agency
        (passwords printed) and synthetic alerts, then serves on http://127.0.0.1:8000.
        Running it again reuses what is there.
        """
        from granica.cli.serve import demo

        if training:
            _environ("GRANICA_TRAINING", "1")
        demo(count, host, port, start_server=serve)


def _environ(name: str, value: str) -> None:
    import os

    from granica.settings import reset_settings

    os.environ[name] = value
    reset_settings()
