"""The `granica` command line.

Each module in this package that defines a Typer `app` and a `NAME` becomes the
subcommand `granica NAME ...` (a module with `register(app)` adds top-level commands); domain errors become a message on stderr and the
error's exit code, in this one place.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import typer

from granica.errors import GranicaError

app = typer.Typer(
    name="granica",
    help="Granica: Integrated Border Management information system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):  # a module adding top-level commands (`granica backup`)
            register(app)
        sub = getattr(module, "app", None)
        name = getattr(module, "NAME", None)
        if sub is None or name is None:
            continue
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)


_register()


def main() -> None:
    """Entry point of the `granica` script."""
    try:
        app()
    except GranicaError as exc:
        if "--json" in sys.argv:
            print(json.dumps(exc.to_dict(), ensure_ascii=False))
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
