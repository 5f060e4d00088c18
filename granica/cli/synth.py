"""`granica synth ...`: synthetic data for demos and benchmarks (no real person's data)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

NAME = "synth"
app = typer.Typer(help="Write synthetic data for demos and benchmarks.", no_args_is_help=True)


@app.command("alerts")
def alerts(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write ('-' for stdout)")],
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="how many alerts")] = 10_000,
    seed: Annotated[int, typer.Option(help="same seed, same alerts")] = 1,
    foreign_share: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="share of alerts issued by other countries")] = 0.4,
) -> None:
    """Alerts of every category in the import shape, one JSON object per line."""
    from granica.settings import get_settings
    from granica.sis.synth import synth_alerts

    stream = sys.stdout if str(out) == "-" else out.open("w", encoding="utf-8")
    try:
        for i, alert in enumerate(synth_alerts(count, seed=seed, country=get_settings().country,
                                               foreign_share=foreign_share), start=1):
            stream.write(json.dumps(alert, ensure_ascii=False) + "\n")
            if i % 100_000 == 0:
                print(f"{i} alerts written", file=sys.stderr)
    finally:
        if stream is not sys.stdout:
            stream.close()
    print(f"wrote {count} alerts to {out}", file=sys.stderr)
