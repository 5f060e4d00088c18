"""`granica mrz ...`: read, check and explain a machine-readable zone from text or from an image."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from granica.errors import InputFormatError

NAME = "mrz"
app = typer.Typer(
    help="ICAO Doc 9303 machine-readable zones (passports, ID cards, visas).", no_args_is_help=True
)

_LABELS = {
    "document_code": "Document code",
    "issuing_state": "Issuing state",
    "document_number": "Document number",
    "nationality": "Nationality",
    "surname": "Surname",
    "given_names": "Given names",
    "birth_date": "Birth date",
    "sex": "Sex",
    "expiry_date": "Expiry date",
    "optional_data": "Optional data",
    "optional_data_2": "Optional data (line 2)",
}


def _report(result: dict[str, Any]) -> str:
    lines = [f"Type: {result['type'] or 'unknown'}", f"Valid: {'yes' if result['valid'] else 'NO'}"]
    for error in result["errors"]:
        lines.append(f"ERROR: {error['message']}")
    for key, value in result["fields"].items():
        resolved = result["dates"].get(key)
        extra = f"  ({resolved})" if resolved else ""
        lines.append(f"{_LABELS.get(key, key)}: {value}{extra}")
    if result["checks"]:
        lines.append(
            "Check digits: "
            + ", ".join(f"{k} {'ok' if v else 'WRONG'}" for k, v in result["checks"].items())
        )
    for warning in result["warnings"]:
        lines.append(f"Warning: {warning['message']}")
    for c in result["corrections"]:
        lines.append(
            f"Corrected line {c['line']} position {c['position']}: {c['read']} -> {c['corrected']} "
            f"({c['field']}; confirmed by {c['confirmed_by']})"
        )
    return "\n".join(lines)


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(_report(result))


@app.command("parse")
def parse(
    mrz: Annotated[
        str | None,
        typer.Argument(help="The MRZ lines separated by newlines; read from stdin when absent."),
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Parse and validate an MRZ: fields, check digits, dates, warnings and OCR corrections.

    Malformed input is reported in `errors` with valid false and exit status 0, so that scripts
    can read the JSON. Example: printf 'P<UTO...\\nL898...' | granica mrz parse --json
    """
    from granica import clock
    from granica.documents import parse_mrz

    text = mrz if mrz is not None else sys.stdin.read()
    _emit(parse_mrz(text, today=clock.today()).to_dict(), as_json)


@app.command("scan")
def scan(
    image: Annotated[
        Path, typer.Argument(help="Photo or scan of the document's data page (PNG, JPEG, ...).")
    ],
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Read the MRZ from a photo or scan (PassportEye + tesseract) and validate it like `parse`."""
    from granica import clock
    from granica.documents.image import read_mrz_image

    if not image.is_file():
        raise InputFormatError(
            f"{image}: no such file; give the path of a photo or scan", field="image"
        )
    _emit(read_mrz_image(image, today=clock.today()).to_dict(), as_json)
