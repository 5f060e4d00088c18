"""Application profiles (what an organisation prescribes on top of ANSI/NIST-ITL) and the validator
that lists every deviation of a transaction from one.

Profiles are TOML files: the ones shipped live in `profiles/`; any other path works too. Each rule
carries `verified` and `source`, and each deviation says whether the rule it broke is verified.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from granica.biometrics.formats.an2k import TaggedRecord, Transaction
from granica.biometrics.formats.images import wsq_info
from granica.biometrics.formats.tenprint import compression_label, read_tenprint
from granica.errors import GranicaError, NotFoundError, ValidationError

_TYPE1_NAMES = {
    "LEN": 1,
    "VER": 2,
    "CNT": 3,
    "TOT": 4,
    "DAT": 5,
    "PRY": 6,
    "DAI": 7,
    "ORI": 8,
    "TCN": 9,
    "TCR": 10,
    "NSR": 11,
    "NTR": 12,
    "DOM": 13,
    "GMT": 14,
    "DCS": 15,
}


@dataclass(frozen=True)
class Rule:
    value: Any
    verified: bool
    source: str


@dataclass(frozen=True)
class Type2Field:
    number: int
    name: str
    mandatory: bool
    pattern: str | None
    verified: bool
    source: str


@dataclass
class Profile:
    name: str
    title: str
    rules: dict[str, Rule]
    type2_fields: list[Type2Field] = field(default_factory=list)

    def rule(self, key: str) -> Rule | None:
        return self.rules.get(key)

    def unverified(self) -> list[str]:
        """Keys of the rules whose values no public source confirms."""
        out = [k for k, r in self.rules.items() if not r.verified]
        out += [f"type2.fields.{f.number}" for f in self.type2_fields if not f.verified]
        return out


@dataclass
class Deviation:
    """One way a transaction departs from a profile."""

    rule: str
    message: str
    record: int | None = None  # 1-based position in the transaction
    field: str | None = None
    verified: bool = True  # False: the rule's value is a placeholder, not confirmed law

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shipped_profiles() -> list[str]:
    folder = resources.files("granica.biometrics.formats") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """A shipped profile by name ('eurodac', 'national') or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        res = resources.files("granica.biometrics.formats") / "profiles" / f"{name_or_path}.toml"
        if not res.is_file():
            raise NotFoundError(
                f"no profile {str(name_or_path)!r}: use one of "
                f"{', '.join(shipped_profiles())} or the path of a .toml file"
            )
        text = res.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"profile {name_or_path}: not valid TOML ({exc})") from exc
    rules: dict[str, Rule] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, val in table.items():
            if not isinstance(val, dict):
                continue
            full = f"{prefix}.{key}" if prefix else key
            if "value" in val:
                rules[full] = Rule(
                    val["value"], bool(val.get("verified", False)), str(val.get("source", ""))
                )
            else:
                walk(full, val)

    walk("", raw)
    fields = [
        Type2Field(
            int(f["number"]),
            str(f.get("name", "")),
            bool(f.get("mandatory", False)),
            f.get("pattern"),
            bool(f.get("verified", False)),
            str(f.get("source", "")),
        )
        for f in raw.get("type2", {}).get("fields", [])
    ]
    return Profile(str(raw.get("name", path.stem)), str(raw.get("title", "")), rules, fields)


def validate(tx: Transaction, profile: Profile, *, size: int | None = None) -> list[Deviation]:
    """Every deviation of `tx` from `profile` (an empty list means it conforms)."""
    out: list[Deviation] = []

    def dev(
        key: str,
        message: str,
        record: int | None = None,
        fld: str | None = None,
        verified: bool | None = None,
    ) -> None:
        rule = profile.rule(key)
        ok = rule.verified if verified is None and rule is not None else bool(verified)
        out.append(Deviation(key, message, record, fld, ok))

    for warning in tx.warnings:
        out.append(Deviation("structure", warning, None, None, True))
    for index, record in enumerate(tx.records, start=1):
        if isinstance(record, TaggedRecord):
            seen: set[int] = set()
            for f in record.fields:
                if f.number in seen:
                    out.append(
                        Deviation(
                            "structure", f"field {f.tag} appears more than once", index, f.tag, True
                        )
                    )
                seen.add(f.number)

    total = size if size is not None else len(tx.to_bytes())
    rule = profile.rule("limits.max_transaction_bytes")
    if rule is not None and total > int(rule.value):
        dev("limits.max_transaction_bytes", f"transaction is {total} bytes, over {rule.value}")

    rule = profile.rule("records.allowed_types")
    if rule is not None:
        for index, record in enumerate(tx.records, start=1):
            if record.type not in rule.value:
                dev(
                    "records.allowed_types",
                    f"record type {record.type} is not allowed (allowed: {rule.value})",
                    index,
                )

    _check_type1(tx.header, profile, dev)
    _check_type2(tx, profile, dev)
    _check_images(tx, profile, dev)
    return out


def _check_type1(t1: TaggedRecord, profile: Profile, dev: Any) -> None:
    rule = profile.rule("type1.mandatory")
    if rule is not None:
        for tag in rule.value:
            number = int(tag.split(".")[1])
            f = t1.get(number)
            if f is None or not f.value:
                dev("type1.mandatory", f"mandatory field {tag} is missing or empty", 1, tag)
    rule = profile.rule("type1.version")
    ver = t1.value(2, "")
    if rule is not None and ver not in rule.value:
        dev("type1.version", f"1.002 VER {ver!r} is not one of {rule.value}", 1, "1.002")
    rule = profile.rule("type1.tot")
    tot = t1.value(4, "")
    if rule is not None and tot not in rule.value:
        dev("type1.tot", f"1.004 TOT {tot!r} is not one of {rule.value}", 1, "1.004")
    for key, rule in profile.rules.items():
        if not key.startswith("type1.patterns."):
            continue
        name = key.rsplit(".", 1)[1]
        fnum = _TYPE1_NAMES.get(name)
        if fnum is None:
            continue
        value = t1.value(fnum)
        if value is not None and not re.fullmatch(str(rule.value), value):
            dev(
                key,
                f"1.{fnum:03d} {name} {value!r} does not match {rule.value}",
                1,
                f"1.{fnum:03d}",
            )
    date = t1.value(5)
    if date is not None:
        try:
            dt.datetime.strptime(date, "%Y%m%d")
        except ValueError:
            dev(
                "type1.date",
                f"1.005 DAT {date!r} is not a valid YYYYMMDD date",
                1,
                "1.005",
                verified=True,
            )
    gmt = t1.value(14)
    if gmt is not None and not re.fullmatch(r"\d{14}Z", gmt):
        dev("type1.gmt", f"1.014 GMT {gmt!r} is not YYYYMMDDhhmmssZ", 1, "1.014", verified=True)


def _check_type2(tx: Transaction, profile: Profile, dev: Any) -> None:
    records = [(i, r) for i, r in enumerate(tx.records, start=1) if r.type == 2]
    rule = profile.rule("type2.count")
    if rule is not None and len(records) != int(rule.value):
        dev("type2.count", f"{len(records)} type-2 records, the profile wants {rule.value}")
    for index, record in records:
        assert isinstance(record, TaggedRecord)
        for spec in profile.type2_fields:
            tag = f"2.{spec.number:03d}"
            value = record.value(spec.number)
            if value is None or value == "":
                if spec.mandatory:
                    dev(
                        f"type2.fields.{spec.number}",
                        f"mandatory {spec.name} ({tag}) is missing",
                        index,
                        tag,
                        verified=spec.verified,
                    )
                continue
            if spec.pattern and not re.fullmatch(spec.pattern, value):
                dev(
                    f"type2.fields.{spec.number}",
                    f"{spec.name} ({tag}) {value!r} does not match {spec.pattern}",
                    index,
                    tag,
                    verified=spec.verified,
                )


def _check_images(tx: Transaction, profile: Profile, dev: Any) -> None:
    tp = read_tenprint(tx)
    fingers_rule = profile.rule("fingers.record_types")
    finger_records = [(i, r) for i, r in enumerate(tx.records, start=1) if r.type in (4, 14)]
    if fingers_rule is not None:
        for index, r in enumerate(tx.records, start=1):
            if r.type in (3, 4, 5, 6, 13, 14, 15) and r.type not in fingers_rule.value:
                dev(
                    "fingers.record_types",
                    f"friction ridge image in a type-{r.type} record "
                    f"(the profile wants {fingers_rule.value})",
                    index,
                )
    positions: dict[int, int] = {}
    for (index, record), finger in zip(finger_records, tp.fingers, strict=True):
        tag = f"{record.type}.{13 if record.type == 14 else 4:03d}"
        if finger.position in positions:
            dev(
                "fingers.duplicate",
                f"finger position {finger.position} appears twice "
                f"(records {positions[finger.position]} and {index})",
                index,
                tag,
                verified=True,
            )
        positions[finger.position] = index
        rule = profile.rule("fingers.compression")
        if rule is not None and finger.compression not in rule.value:
            dev(
                "fingers.compression",
                f"compression {finger.compression} is not one of {rule.value}",
                index,
                f"{record.type}.011" if record.type == 14 else "4.008",
            )
        rule = profile.rule("fingers.min_ppi")
        if rule is not None and finger.ppi < int(rule.value):
            dev(
                "fingers.min_ppi",
                f"{finger.ppi} ppi is under {rule.value}",
                index,
                "14.009" if record.type == 14 else "4.005",
            )
        if finger.compression == "WSQ20" and finger.image:
            try:
                info = wsq_info(finger.image)
                if (info["width"], info["height"]) != (finger.width, finger.height):
                    dev(
                        "fingers.image_size",
                        f"WSQ frame is {info['width']}x{info['height']} but "
                        f"the record says {finger.width}x{finger.height}",
                        index,
                        verified=True,
                    )
            except GranicaError as exc:
                dev(
                    "fingers.image",
                    f"image data is not valid WSQ: {exc.message}",
                    index,
                    verified=True,
                )
    rule = profile.rule("fingers.required_positions")
    if rule is not None:
        for pos in rule.value:
            f = tp.finger(pos)
            if f is None:
                dev("fingers.required_positions", f"finger position {pos} is missing")
            elif not f.image and f.amputation is None:
                dev(
                    "fingers.required_positions",
                    f"finger position {pos} has no image and no amputation code (14.018 AMP)",
                    positions.get(pos),
                )
    rule = profile.rule("fingers.min_count")
    if rule is not None and len(tp.fingers) < int(rule.value):
        dev("fingers.min_count", f"{len(tp.fingers)} finger images, at least {rule.value} wanted")

    face_records = [
        i
        for i, r in enumerate(tx.records, start=1)
        if isinstance(r, TaggedRecord) and r.type == 10 and (r.value(3, "") or "").upper() == "FACE"
    ]
    rule = profile.rule("faces.min_count")
    if rule is not None and len(tp.faces) < int(rule.value):
        dev("faces.min_count", f"{len(tp.faces)} facial images, at least {rule.value} wanted")
    for index, face in zip(face_records, tp.faces, strict=True):
        rule = profile.rule("faces.compression")
        if rule is not None and compression_label(face.compression) not in rule.value:
            dev(
                "faces.compression",
                f"face compression {face.compression} is not one of {rule.value}",
                index,
                "10.011",
            )
        rule = profile.rule("faces.min_size")
        if rule is not None and (face.width < rule.value[0] or face.height < rule.value[1]):
            dev(
                "faces.min_size",
                f"face image {face.width}x{face.height} is smaller than "
                f"{rule.value[0]}x{rule.value[1]}",
                index,
                "10.006",
            )
        rule = profile.rule("faces.max_size")
        if rule is not None and (face.width > rule.value[0] or face.height > rule.value[1]):
            dev(
                "faces.max_size",
                f"face image {face.width}x{face.height} is larger than "
                f"{rule.value[0]}x{rule.value[1]}",
                index,
                "10.006",
            )


__all__ = ["Deviation", "Profile", "Rule", "load_profile", "shipped_profiles", "validate"]
