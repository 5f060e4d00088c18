"""`granica names ...`: compare two person names, show their blocking keys, and
evaluate the matcher on labelled pairs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from granica.errors import ValidationError

NAME = "names"

app = typer.Typer(
    help="Person-name matching across scripts and spellings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


@app.command("compare")
def compare_cmd(
    a: Annotated[str, typer.Argument(help="First name, in any script or MRZ form.")],
    b: Annotated[str, typer.Argument(help="Second name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    threshold: Annotated[
        float | None, typer.Option(help="Decision threshold (default: the library's).")
    ] = None,
) -> None:
    """Score two names: `granica names compare "Ђорђе Јовановић" "JOVANOVIC<<DJORDJE" --json`."""
    from granica.names import DEFAULT_THRESHOLD, compare

    result = compare(a, b, threshold if threshold is not None else DEFAULT_THRESHOLD)
    lines = [f"score {result.score:.3f}  {'MATCH' if result.match else 'no match'}"]
    for reason in result.reasons:
        lines.append("  " + ", ".join(f"{k}={v}" for k, v in reason.items()))
    _emit(result.to_dict(), as_json, "\n".join(lines))


@app.command("keys")
def keys_cmd(
    name: Annotated[str, typer.Argument(help="A name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The blocking keys a store persists for a name."""
    from granica.names import blocking_keys, to_latin

    keys = sorted(blocking_keys(name))
    _emit({"name": name, "latin": to_latin(name), "keys": keys}, as_json, " ".join(keys))


@app.command("eval")
def eval_cmd(
    file: Annotated[Path, typer.Argument(help='JSONL file of {"a", "b", "same"} lines.')],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    reference: Annotated[
        str | None,
        typer.Option(help="Also score with a reference matcher: nomenklatura (LogicV2)."),
    ] = None,
    include_low: Annotated[
        bool,
        typer.Option(help='Keep pairs marked "alias_quality": "Low" (left out by default).'),
    ] = False,
    split: Annotated[
        str | None, typer.Option(help="Only the 'tune' or the 'holdout' part of the file.")
    ] = None,
) -> None:
    """ROC AUC, true-match rate at 1% and 5% false-match rate, precision and recall
    at the default threshold, for Granica, the baseline and (optionally) the
    reference, in one run. Progress goes to stderr."""
    from granica.names.evaluate import run_eval

    if split not in (None, "tune", "holdout"):
        raise ValidationError(f"unknown split {split!r} (tune or holdout)", field="split")
    result = run_eval(file, reference=reference, include_low=include_low, split=split,
                      progress=sys.stderr)  # fmt: skip
    rows = [("granica", result)]
    rows.append(("baseline", result["baseline"]))
    if "reference" in result:
        rows.append(("reference", result["reference"]))
    text = [(f"{result['pairs']} pairs ({result['left_out_low_quality_aliases']} low-quality "
            "aliases left out)")]  # fmt: skip
    for label, fig in rows:
        text.append(
            f"{label:10} AUC {fig['auc']:.3f}  TMR@1%FMR {fig['tmr_at_fmr_1pct']:.3f}  "
            f"TMR@5%FMR {fig['tmr_at_fmr_5pct']:.3f}  precision {fig['precision']:.3f}  "
            f"recall {fig['recall']:.3f} at {fig['threshold']}"
        )
    _emit(result, as_json, "\n".join(text))
