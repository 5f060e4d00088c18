"""Type-9 minutiae records in the INCITS 378 block (fields 9.126-9.140, the "M1" format) to and from
the engine's `Template`.

Units are those of ANSI INCITS 378: pixel coordinates from the top-left, angles in 2-degree units
counter-clockwise, resolution in pixels per centimetre (9.130 SLC = 2) or per inch (SLC = 1).
"""

from __future__ import annotations

import numpy as np

from granica.biometrics.formats.an2k import Field, TaggedRecord
from granica.biometrics.formats.errors import NistFormatError
from granica.biometrics.formats.minutiae import angle_to_radians, radians_to_angle
from granica.biometrics.template import Template

_ANSI = "ansi378:2009"  # only the angle unit matters here


def _number(record: TaggedRecord, number: int, default: int | None = None) -> int:
    f = record.get(number)
    text = f.subfields[0][0] if f is not None else b""
    if text.isdigit():
        return int(text)
    if default is not None:
        return default
    raise NistFormatError(
        f"field 9.{number:03d} is missing or not a number",
        record_type=9,
        field=f"9.{number:03d}",
        hint="the record has no INCITS 378 (M1) block",
    )


def has_incits378(record: TaggedRecord) -> bool:
    return record.type == 9 and record.get(137) is not None and record.get(128) is not None


def type9_to_template(record: TaggedRecord) -> Template:
    """The engine's template from a type-9 record's INCITS 378 fields (9.128-9.137)."""
    if record.type != 9:
        raise NistFormatError(
            f"a type-{record.type} record is not a minutiae record", record_type=record.type
        )
    width, height = _number(record, 128), _number(record, 129)
    slc = _number(record, 130, 2)
    hres = _number(record, 131)
    ppi = round(hres * 2.54) if slc == 2 else hres
    position = _number(record, 134, 0)
    quality = _number(record, 135, 0)
    rows = []
    fmd = record.get(137)
    assert fmd is not None
    for n, sub in enumerate(fmd.subfields if fmd.value else [], start=1):
        if len(sub) < 6 or not all(item.isdigit() for item in sub[:6]):
            raise NistFormatError(
                f"minutia {n} of 9.137 is not six numbers", record_type=9, field="9.137"
            )
        _, x, y, theta, kind, q = (int(item) for item in sub[:6])
        rows.append(
            (x, y, angle_to_radians(theta, _ANSI), kind if kind <= 2 else 0, q if q <= 100 else 0)
        )
    declared = _number(record, 136, len(rows))
    if declared != len(rows):
        raise NistFormatError(
            f"9.136 says {declared} minutiae but 9.137 lists {len(rows)}",
            record_type=9,
            field="9.136",
        )
    return Template(
        width=width,
        height=height,
        minutiae=np.array(rows, np.float32).reshape(-1, 5),
        ppi=ppi,
        finger_position=position,
        quality=quality if quality <= 100 else 0,
    )


def template_to_type9(template: Template, idc: int, *, impression: int = 0) -> TaggedRecord:
    """A type-9 record carrying `template` in the INCITS 378 block (vendor-neutral CBEFF ids)."""
    r = TaggedRecord(9, [Field("9.001", b"0")])
    r.set(2, f"{idc:02d}")
    r.set(3, str(impression))
    r.set(4, "U")  # 'U': not the legacy IAFIS standard format
    r.set(126, [["27", "513", "Granica"]])  # CBEFF format owner (INCITS TC M1) and format type
    r.set(127, [["0", "0"]])
    r.set(128, str(template.width))
    r.set(129, str(template.height))
    r.set(130, "2")
    ppcm = str(round(template.ppi / 2.54))
    r.set(131, ppcm)
    r.set(132, ppcm)
    r.set(133, "0")
    r.set(134, f"{template.finger_position:02d}")
    r.set(135, [[str(template.quality), "0", "0"]])
    r.set(136, str(len(template)))
    rows = []
    for n, (x, y, a, t, q) in enumerate(np.asarray(template.minutiae, np.float64), start=1):
        rows.append(
            [
                f"{n:03d}",
                str(round(x)),
                str(round(y)),
                str(radians_to_angle(a, _ANSI)),
                str(int(t)),
                str(round(q)),
            ]
        )
    r.set(137, rows)
    return r
