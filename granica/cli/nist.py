"""`granica nist ...`: inspect, copy, validate and build ANSI/NIST-ITL transactions."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

NAME = "nist"
app = typer.Typer(
    help="ANSI/NIST-ITL transactions: dump, copy, validate, build.", no_args_is_help=True
)

_IMAGE_SUFFIXES = {".wsq", ".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".jp2"}


def _describe(data: bytes) -> dict[str, Any]:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _listing(path: Path) -> dict[str, Any]:
    from granica.biometrics.formats.an2k import BinaryRecord, read_transaction

    data = path.read_bytes()
    tx = read_transaction(data)
    records = []
    for index, record in enumerate(tx.records, start=1):
        if isinstance(record, BinaryRecord):
            entry: dict[str, Any] = {
                "record": index,
                "type": record.type,
                "binary": True,
                "idc": record.idc,
                "header": record.header.hex(),
                "data": _describe(record.data),
            }
            if record.type in (3, 4, 5, 6):
                entry.update(
                    impression=record.impression,
                    positions=record.finger_positions,
                    width=record.width,
                    height=record.height,
                    compression=record.compression,
                )
        else:
            fields: list[dict[str, Any]] = []
            for f in record.fields:
                if f.binary or not _is_text(f.value):
                    fields.append({"tag": f.tag, "binary": _describe(f.value)})
                else:
                    fields.append({"tag": f.tag, "value": f.items()})
            entry = {"record": index, "type": record.type, "binary": False, "fields": fields}
        records.append(entry)
    return {"file": str(path), **_describe(data), "records": records, "warnings": tx.warnings}


def _is_text(value: bytes) -> bool:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\x1e\x1f" for c in text)


@app.command()
def dump(
    file: Path, as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False
) -> None:
    """List a transaction's records and fields; images appear as their size and SHA-256.

    Example: granica nist dump card.an2 --json
    """
    listing = _listing(file)
    if as_json:
        typer.echo(json.dumps(listing, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{listing['file']}: {listing['bytes']} bytes, {len(listing['records'])} records")
    for r in listing["records"]:
        if r["binary"]:
            typer.echo(
                f"  record {r['record']}: type {r['type']} (binary), IDC {r['idc']}, "
                f"data {r['data']['bytes']} bytes"
            )
            continue
        typer.echo(f"  record {r['record']}: type {r['type']}")
        for f in r["fields"]:
            if "binary" in f:
                typer.echo(
                    f"    {f['tag']}: <{f['binary']['bytes']} bytes "
                    f"sha256 {f['binary']['sha256'][:16]}...>"
                )
            else:
                shown = " | ".join(" ^ ".join(sub) for sub in f["value"])
                typer.echo(f"    {f['tag']}: {shown[:100]}")
    for w in listing["warnings"]:
        typer.echo(f"  warning: {w}")


@app.command()
def copy(source: Path, target: Path) -> None:
    """Read a transaction and write it back (LEN and CNT recomputed); says if the bytes are equal.

    Example: granica nist copy in.an2 out.an2
    """
    from granica.biometrics.formats.an2k import read_transaction

    data = source.read_bytes()
    out = read_transaction(data).to_bytes()
    target.write_bytes(out)
    same = "identical to" if out == data else "different from"
    typer.echo(f"wrote {target} ({len(out)} bytes, {same} {source})")


@app.command("validate")
def validate_cmd(
    file: Path,
    profile: Annotated[str, typer.Option(help="profile name or .toml path")] = "national",
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """List every deviation of a transaction from an application profile; exit 1 if any.

    Example: granica nist validate card.an2 --profile eurodac
    """
    from granica.biometrics.formats.an2k import read_transaction
    from granica.biometrics.formats.profile import load_profile, validate

    data = file.read_bytes()
    prof = load_profile(profile)
    deviations = validate(read_transaction(data), prof, size=len(data))
    if as_json:
        typer.echo(
            json.dumps(
                {"profile": prof.name, "deviations": [d.to_dict() for d in deviations]},
                ensure_ascii=False,
            )
        )
    else:
        for d in deviations:
            where = ", ".join(
                x
                for x in (
                    f"record {d.record}" if d.record else "",
                    f"field {d.field}" if d.field else "",
                )
                if x
            )
            flag = "" if d.verified else " [rule unverified]"
            typer.echo(f"{d.rule}: {where + ': ' if where else ''}{d.message}{flag}")
        typer.echo(f"{len(deviations)} deviation(s) from profile {prof.name}")
    if deviations:
        raise typer.Exit(1)


@app.command()
def build(
    folder: Path,
    descriptive: Path,
    output: Path,
    record_type: Annotated[int, typer.Option(help="4 or 14")] = 14,
    compression: Annotated[str, typer.Option(help="WSQ20, PNG, JP2, JP2L or NONE")] = "WSQ20",
) -> None:
    """Build a ten-print transaction from a folder of finger images and a JSON of descriptive data.

    Images are named by finger position code (01.png ... 10.png, or any name whose number is the
    position), or listed in the JSON as "fingers": {"1": "file.tif", ...}. The JSON holds
    "header" (TOT, DAI, ORI, TCN, and optionally DAT, PRY, GMT, VER, DOM), "type2" (field number to
    value) and optionally "face" (an image file in the folder).

    Example: granica nist build prints/ subject.json out.an2
    """
    from granica import clock
    from granica.biometrics.formats.images import read_image
    from granica.biometrics.formats.tenprint import (
        TransactionHeader,
        build_transaction,
        dat_date,
        gmt_stamp,
        tenprint_from_images,
    )
    from granica.errors import InputFormatError, ValidationError

    try:
        spec = json.loads(descriptive.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputFormatError(
            f"{descriptive}: not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    head = spec.get("header", {})
    missing = [k for k in ("TOT", "DAI", "ORI", "TCN") if not head.get(k)]
    if missing:
        raise ValidationError(f"{descriptive}: header lacks {', '.join(missing)}", field="header")
    files: dict[int, Path] = {}
    if "fingers" in spec:
        files = {int(k): folder / v for k, v in spec["fingers"].items()}
    else:
        for p in sorted(folder.iterdir()):
            m = re.search(r"(\d+)", p.stem)
            if p.suffix.lower() in _IMAGE_SUFFIXES and m and 1 <= int(m.group(1)) <= 15:
                files.setdefault(int(m.group(1)), p)
    if not files:
        raise ValidationError(f"{folder}: no finger images named by position (01.png ... 10.png)")
    images = {pos: read_image(path)[0] for pos, path in files.items()}
    header = TransactionHeader(
        tot=head["TOT"],
        dai=head["DAI"],
        ori=head["ORI"],
        tcn=head["TCN"],
        date=head.get("DAT") or dat_date(clock.today()),
        version=head.get("VER", "0502"),
        priority=head.get("PRY"),
        gmt=head.get("GMT") or gmt_stamp(clock.now()),
        domain=tuple(head["DOM"]) if head.get("DOM") else None,
    )
    faces = []
    if spec.get("face"):
        face_path = folder / spec["face"]
        label = {".png": "PNG", ".jp2": "JP2"}.get(face_path.suffix.lower(), "JPEGB")
        faces.append((face_path.read_bytes(), label))
    tp = tenprint_from_images(
        images,
        header,
        descriptive={int(k): str(v) for k, v in spec.get("type2", {}).items()},
        faces=faces,
        compression=compression,
        record_type=record_type,
    )
    data = build_transaction(tp).to_bytes()
    output.write_bytes(data)
    typer.echo(
        f"wrote {output}: {len(data)} bytes, {len(tp.fingers)} finger images, "
        f"{len(tp.faces)} face images"
    )
