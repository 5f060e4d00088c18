"""`granica border ...`: border-check tools for the command line (for now the 90/180-day calculator)."""

from __future__ import annotations

import json
import sys

import typer

NAME = "border"
app = typer.Typer(
    help="Border checks: short-stay calculator and related tools.", no_args_is_help=True
)


@app.command("stay")
def stay(
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    reject_overlaps: bool = typer.Option(
        False,
        "--reject-overlaps",
        help="Treat overlapping stays as an error instead of counting each day once.",
    ),
) -> None:
    """The 90-days-in-any-180 rule: reads {"stays": [[entry, exit], ...], "control_date": ..., "intended": [entry, exit] or null} on stdin.

    Prints days_used, days_remaining, allowed, last_allowed_day, overstay_days and the explanation.
    Example: echo '{"stays": [["2026-01-01", "2026-01-10"]], "control_date": "2026-03-01", "intended": null}' | granica border stay --json
    """
    from granica.border.stay import assess_stay_json

    result = assess_stay_json(sys.stdin.read(), reject_overlaps=reject_overlaps).to_dict()
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    allowed = {True: "yes", False: "NO", None: "-"}[result["allowed"]]
    typer.echo(
        f"Days used: {result['days_used']}  remaining: {result['days_remaining']}  overstay: {result['overstay_days']}"
    )
    typer.echo(
        f"Intended stay allowed: {allowed}  last allowed day: {result['last_allowed_day'] or '-'}"
    )
    for line in result["explanation"]["text"]:
        typer.echo(f"  {line}")
