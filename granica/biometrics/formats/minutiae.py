"""Finger minutiae records: ISO/IEC 19794-2 (2005, 2011) and ANSI INCITS 378 (2004, 2007, 2009,
2009/Am1).

Records are read into `MinutiaeRecord` with every header value kept, so an unmodified record is
written back byte for byte, and converted to and from the engine's `Template`. Units differ by
standard: ISO angles are 1/256 of a turn, ANSI angles are 2 degrees; both give resolution in
pixels per centimetre and put the origin at the top-left pixel with y downwards.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

import numpy as np

from granica.biometrics.formats.errors import MinutiaeFormatError
from granica.biometrics.template import Template
from granica.errors import ValidationError

ISO_2005 = "iso19794-2:2005"
ISO_2011 = "iso19794-2:2011"
ANSI_2004 = "ansi378:2004"
# the header of NIST libbiomeval's "ansi2007" sample: 2009-style views, 2004-style equipment
ANSI_2007 = "ansi378:2007"
ANSI_2009 = "ansi378:2009"
ANSI_2009_AM1 = "ansi378:2009am1"
FORMATS = (ISO_2005, ISO_2011, ANSI_2004, ANSI_2007, ANSI_2009, ANSI_2009_AM1)

_MAGIC = b"FMR\x00"
_VERSION = {
    ISO_2005: b" 20\x00",
    ANSI_2004: b" 20\x00",
    ISO_2011: b"030\x00",
    ANSI_2007: b"030\x00",
    ANSI_2009: b"030\x00",
    ANSI_2009_AM1: b"035\x00",
}


@dataclass
class Minutia:
    """One minutia in the record's own units: raw angle; type 0 other, 1 ending, 2 bifurcation."""

    type: int
    x: int
    y: int
    angle: int
    quality: int


@dataclass
class FingerView:
    position: int
    view: int = 0
    impression: int = 0
    quality: int = 0
    width: int = 0
    height: int = 0
    xres: int = 197  # pixels per centimetre
    yres: int = 197
    minutiae: list[Minutia] = field(default_factory=list)
    extended: bytes = b""
    # 2009/2011 per-view extras, kept for a byte-exact round trip
    quality_vendor: int = 0
    quality_algorithm: int = 0
    capture_datetime: bytes = b"\xff" * 9
    device_technology: int = 0
    device_vendor: int = 0
    device_type: int = 0
    quality_records: list[tuple[int, int, int]] = field(default_factory=list)
    certifications: list[tuple[int, int, int]] = field(default_factory=list)
    ending_type: int = 0
    minutia_size: int = 6


@dataclass
class MinutiaeRecord:
    format: str
    views: list[FingerView]
    width: int = 0  # 2004/2005: image size and resolution are record-wide
    height: int = 0
    xres: int = 197
    yres: int = 197
    equipment: int = 0  # 2004/2005/2007: compliance (4 bits) and scanner id (12 bits)
    vendor: int = 0  # ANSI CBEFF product identifier owner
    subformat: int = 0
    certified: int = 0  # 2009: certification flag byte; 2011: certification flag
    sensor_id: int = 0
    version_bytes: bytes = b""  # as read (ANSI 2004 samples in the wild say '020')
    warnings: list[str] = field(default_factory=list)  # what lax reading tolerated


class _In:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > self.end:
            raise MinutiaeFormatError(
                f"record ends inside {what} (needs {n} bytes, {self.end - self.pos} left)",
                offset=self.pos,
                field=what,
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int(struct.unpack(">H", self.take(2, what))[0])

    def u32(self, what: str) -> int:
        return int(struct.unpack(">I", self.take(4, what))[0])


def detect_format(data: bytes, *, lax: bool = False) -> str:
    """Which of the supported standards a record follows, from its header and its lengths."""
    if len(data) < 8 or data[:4] != _MAGIC:
        raise MinutiaeFormatError(
            "no 'FMR\\0' format identifier", offset=0, field="format identifier"
        )
    version = data[4:8]
    size = len(data)
    if version in (b" 20\x00", b"020\x00"):
        if size >= 12 and struct.unpack_from(">I", data, 8)[0] == size:
            return ISO_2005
        if size >= 10:
            short = struct.unpack_from(">H", data, 8)[0]
            if short == size or (
                short == 0 and size >= 14 and struct.unpack_from(">I", data, 10)[0] == size
            ):
                return ANSI_2004
        if lax:
            # FingerprintIO's ANSI 2004 sample carries an ISO-sized length: let the layout decide
            for fmt in (ANSI_2004, ISO_2005):
                try:
                    _parse(data, fmt, [])
                    return fmt
                except MinutiaeFormatError:
                    continue
        raise MinutiaeFormatError(
            f"record length field matches neither ISO 2005 nor ANSI 2004 layout for {size} bytes",
            offset=8,
            field="record length",
        )
    if version == b"035\x00":
        return ANSI_2009_AM1
    if version == b"030\x00":
        attempts: list[list[str] | None] = [None, []] if lax else [None]
        for attempt in attempts:
            for fmt in (ISO_2011, ANSI_2009, ANSI_2007):
                try:
                    _parse(data, fmt, attempt)
                    return fmt
                except MinutiaeFormatError:
                    continue
        raise MinutiaeFormatError(
            "version 030 record that parses as neither ISO 19794-2:2011 nor ANSI 378-2009",
            offset=4,
            field="version",
        )
    raise MinutiaeFormatError(f"unsupported version {version!r}", offset=4, field="version")


def read_minutiae(data: bytes, *, lax: bool = False) -> MinutiaeRecord:
    """Parse an ISO/IEC 19794-2 or ANSI INCITS 378 finger minutiae record.

    With `lax`, a wrong record length, extended data cut short and trailing bytes are tolerated
    and listed in `warnings` (seen in published samples); otherwise they raise.
    """
    raw = bytes(data)
    return _parse(raw, detect_format(raw, lax=lax), [] if lax else None)


def _minutiae(inp: _In, count: int, size: int, what: str) -> list[Minutia]:
    out = []
    for i in range(count):
        raw = inp.take(size, f"{what} minutia {i + 1}")
        tx, y = struct.unpack_from(">HH", raw)
        out.append(Minutia(tx >> 14, tx & 0x3FFF, y & 0x3FFF, raw[4], raw[5] if size == 6 else 255))
        if y >> 14:
            # top two bits of y are reserved; keep nothing silently that would not round-trip
            raise MinutiaeFormatError(
                "reserved bits of minutia y are set",
                offset=inp.pos - size + 2,
                field=f"{what} minutia {i + 1}",
            )
    return out


def _parse(data: bytes, fmt: str, warnings: list[str] | None = None) -> MinutiaeRecord:
    inp = _In(data, 8)
    rec = MinutiaeRecord(format=fmt, views=[], version_bytes=data[4:8])
    if warnings is not None:
        rec.warnings = warnings
    if fmt == ANSI_2004:
        total = inp.u16("record length")
        if total == 0:
            total = inp.u32("record length")
    else:
        total = inp.u32("record length")
    if total != len(data) and warnings is not None:
        warnings.append(f"record length field says {total} bytes, the record has {len(data)}")
    elif total != len(data):
        raise MinutiaeFormatError(
            f"record length says {total} bytes but the record has {len(data)}",
            offset=8,
            field="record length",
        )
    if fmt == ISO_2011:
        nviews = inp.u16("number of representations")
        rec.certified = inp.u8("certification flag")
        for v in range(nviews):
            start = inp.pos
            length = inp.u32(f"representation {v + 1} length")
            end = start + length
            if length < 4 or end > len(data):
                raise MinutiaeFormatError(
                    f"representation length {length} runs past the record",
                    offset=start,
                    field=f"representation {v + 1}",
                )
            sub = _In(data, inp.pos, end)
            view = FingerView(position=0)
            view.capture_datetime = sub.take(9, "capture date and time")
            view.device_technology = sub.u8("capture device technology")
            view.device_vendor = sub.u16("capture device vendor")
            view.device_type = sub.u16("capture device type")
            for _ in range(sub.u8("number of quality blocks")):
                view.quality_records.append(
                    (sub.u8("quality"), sub.u16("quality vendor"), sub.u16("quality algorithm"))
                )
            if rec.certified:
                for _ in range(sub.u8("number of certification blocks")):
                    view.certifications.append(
                        (sub.u16("certification authority"), sub.u8("certification scheme"), 0)
                    )
            view.position = sub.u8("finger position")
            view.view = sub.u8("view number")
            view.xres = sub.u16("horizontal resolution")
            view.yres = sub.u16("vertical resolution")
            view.impression = sub.u8("impression type")
            view.width = sub.u16("image width")
            view.height = sub.u16("image height")
            flags = sub.u8("minutia field length")
            view.minutia_size, view.ending_type = flags >> 4, flags & 0xF
            if view.minutia_size not in (5, 6):
                raise MinutiaeFormatError(
                    f"minutia size {view.minutia_size} is not 5 or 6",
                    offset=sub.pos - 1,
                    field="minutia field length",
                )
            view.quality = view.quality_records[0][0] if view.quality_records else 0
            count = sub.u8("number of minutiae")
            view.minutiae = _minutiae(sub, count, view.minutia_size, f"view {v + 1}")
            extlen = sub.u16("extended data length")
            view.extended = sub.take(extlen, "extended data")
            if sub.pos != end:
                raise MinutiaeFormatError(
                    f"{end - sub.pos} unexplained bytes at the end of representation {v + 1}",
                    offset=sub.pos,
                )
            inp.pos = end
            rec.views.append(view)
    else:
        if fmt in (ANSI_2004, ANSI_2009, ANSI_2009_AM1, ANSI_2007):
            rec.vendor = inp.u16("CBEFF product owner")
            rec.subformat = inp.u16("CBEFF product type")
        if fmt in (ANSI_2009, ANSI_2009_AM1):
            rec.certified = inp.u8("sensor certification")
            rec.sensor_id = inp.u16("sensor id")
        else:
            rec.equipment = inp.u16("capture equipment")
        if fmt in (ISO_2005, ANSI_2004):
            rec.width = inp.u16("image width")
            rec.height = inp.u16("image height")
            rec.xres = inp.u16("horizontal resolution")
            rec.yres = inp.u16("vertical resolution")
        nviews = inp.u8("number of finger views")
        inp.u8("reserved byte")
        for v in range(nviews):
            view = FingerView(position=inp.u8(f"view {v + 1} finger position"))
            if fmt in (ISO_2005, ANSI_2004):
                packed = inp.u8("view number and impression type")
                view.view, view.impression = packed >> 4, packed & 0xF
                view.quality = inp.u8("finger quality")
                view.width, view.height, view.xres, view.yres = (
                    rec.width,
                    rec.height,
                    rec.xres,
                    rec.yres,
                )
            else:
                view.view = inp.u8("view number")
                view.impression = inp.u8("impression type")
                view.quality = inp.u8("finger quality")
                view.quality_vendor = inp.u16("quality vendor")
                view.quality_algorithm = inp.u16("quality algorithm")
                view.width = inp.u16("image width")
                view.height = inp.u16("image height")
                view.xres = inp.u16("horizontal resolution")
                view.yres = inp.u16("vertical resolution")
            count = inp.u8("number of minutiae")
            view.minutiae = _minutiae(inp, count, 6, f"view {v + 1}")
            extlen = inp.u16("extended data length")
            if warnings is not None and inp.pos + extlen > inp.end:
                warnings.append(
                    f"view {v + 1}: extended data length {extlen} runs "
                    f"{inp.pos + extlen - inp.end} bytes past the record; cut short"
                )
                extlen = inp.end - inp.pos
            view.extended = inp.take(extlen, "extended data")
            rec.views.append(view)
    if inp.pos != len(data) and warnings is not None:
        warnings.append(f"{len(data) - inp.pos} bytes after the last finger view ignored")
    elif inp.pos != len(data):
        raise MinutiaeFormatError(
            f"{len(data) - inp.pos} bytes after the last finger view", offset=inp.pos
        )
    return rec


def write_minutiae(rec: MinutiaeRecord) -> bytes:
    """Serialise a record in its `format`; the record length is computed."""
    if rec.format not in FORMATS:
        raise ValidationError(f"unknown minutiae format {rec.format!r}; use one of {FORMATS}")
    fmt = rec.format
    body = bytearray()
    for v in rec.views:
        if len(v.minutiae) > 255:
            raise ValidationError(
                f"finger view {v.position}: {len(v.minutiae)} minutiae, at most 255"
            )
        mins = bytearray()
        size = v.minutia_size if fmt == ISO_2011 else 6
        for m in v.minutiae:
            mins += struct.pack(
                ">HHB", (m.type << 14) | (m.x & 0x3FFF), m.y & 0x3FFF, m.angle & 0xFF
            )
            if size == 6:
                mins.append(min(max(m.quality, 0), 255))
        ext = struct.pack(">H", len(v.extended)) + v.extended
        if fmt == ISO_2011:
            rep = bytearray(v.capture_datetime[:9].ljust(9, b"\xff"))
            rep += struct.pack(
                ">BHHB", v.device_technology, v.device_vendor, v.device_type, len(v.quality_records)
            )
            for q in v.quality_records:
                rep += struct.pack(">BHH", *q)
            if rec.certified:
                rep.append(len(v.certifications))
                for c in v.certifications:
                    rep += struct.pack(">HB", c[0], c[1])
            rep += struct.pack(
                ">BBHHBHHBB",
                v.position,
                v.view,
                v.xres,
                v.yres,
                v.impression,
                v.width,
                v.height,
                (size << 4) | v.ending_type,
                len(v.minutiae),
            )
            rep += mins + ext
            body += struct.pack(">I", len(rep) + 4) + rep
        elif fmt in (ISO_2005, ANSI_2004):
            body += (
                struct.pack(
                    ">BBBB", v.position, (v.view << 4) | v.impression, v.quality, len(v.minutiae)
                )
                + mins
                + ext
            )
        else:
            body += (
                struct.pack(
                    ">BBBBHHHHHHB",
                    v.position,
                    v.view,
                    v.impression,
                    v.quality,
                    v.quality_vendor,
                    v.quality_algorithm,
                    v.width,
                    v.height,
                    v.xres,
                    v.yres,
                    len(v.minutiae),
                )
                + mins
                + ext
            )
    version = rec.version_bytes or _VERSION[fmt]
    if fmt == ISO_2011:
        head = struct.pack(">HB", len(rec.views), rec.certified)
        return _MAGIC + version + struct.pack(">I", 15 + len(body)) + head + bytes(body)
    if fmt in (ISO_2005, ANSI_2004):
        head = struct.pack(
            ">HHHHHBB", rec.equipment, rec.width, rec.height, rec.xres, rec.yres, len(rec.views), 0
        )
        if fmt == ISO_2005:
            return _MAGIC + version + struct.pack(">I", 12 + len(head) + len(body)) + head + body
        head = struct.pack(">HH", rec.vendor, rec.subformat) + head
        total = 10 + len(head) + len(body)
        length = struct.pack(">H", total) if total <= 0xFFFF else struct.pack(">HI", 0, total + 4)
        return _MAGIC + version + length + head + bytes(body)
    if fmt == ANSI_2007:
        head = struct.pack(">HHHBB", rec.vendor, rec.subformat, rec.equipment, len(rec.views), 0)
    else:
        head = struct.pack(
            ">HHBHBB", rec.vendor, rec.subformat, rec.certified, rec.sensor_id, len(rec.views), 0
        )
    return _MAGIC + version + struct.pack(">I", 12 + len(head) + len(body)) + head + bytes(body)


# ---------------------------------------------------------------------------------------------
# Conversion to and from the engine's template


def _is_iso(fmt: str) -> bool:
    return fmt.startswith("iso")


def angle_to_radians(raw: int, fmt: str) -> float:
    """ISO: 256 units a turn; ANSI: 2-degree units. Both counter-clockwise from +x."""
    return raw * 2 * math.pi / 256 if _is_iso(fmt) else math.radians(raw * 2)


def radians_to_angle(theta: float, fmt: str) -> int:
    turn = (theta / (2 * math.pi)) % 1.0
    return round(turn * 256) % 256 if _is_iso(fmt) else round(turn * 180) % 180


def ppcm_to_ppi(ppcm: int) -> int:
    return round(ppcm * 2.54)


def ppi_to_ppcm(ppi: int) -> int:
    return round(ppi / 2.54)


def to_template(rec: MinutiaeRecord, view: int = 0) -> Template:
    """The engine's template for one finger view (pixel coordinates, radians, 0-100 quality)."""
    if not 0 <= view < len(rec.views):
        raise ValidationError(f"the record has {len(rec.views)} finger views, no view {view}")
    v = rec.views[view]
    rows = [
        (
            m.x,
            m.y,
            angle_to_radians(m.angle, rec.format),
            m.type if m.type <= 2 else 0,
            m.quality if m.quality <= 100 else 0,
        )
        for m in v.minutiae
    ]
    arr = np.array(rows, dtype=np.float32).reshape(-1, 5)
    return Template(
        width=v.width,
        height=v.height,
        minutiae=arr,
        ppi=ppcm_to_ppi(v.xres),
        finger_position=v.position,
        quality=v.quality if v.quality <= 100 else 0,
    )


def from_template(
    template: Template | list[Template], fmt: str = ISO_2005, *, impression: int = 0
) -> MinutiaeRecord:
    """A record in `fmt` holding one view per template (record-wide size from the first)."""
    if fmt not in FORMATS:
        raise ValidationError(f"unknown minutiae format {fmt!r}; use one of {FORMATS}")
    templates = template if isinstance(template, list) else [template]
    views = []
    for t in templates:
        mins = []
        for x, y, a, ty, q in np.asarray(t.minutiae, dtype=np.float64):
            mins.append(
                Minutia(
                    int(ty), round(x), round(y), radians_to_angle(a, fmt), round(q)
                )
            )
        res = ppi_to_ppcm(t.ppi)
        views.append(
            FingerView(
                position=t.finger_position,
                impression=impression,
                quality=t.quality,
                width=t.width,
                height=t.height,
                xres=res,
                yres=res,
                minutiae=mins,
                quality_records=[(t.quality, 0, 0)] if fmt == ISO_2011 else [],
            )
        )
    first = templates[0]
    res = ppi_to_ppcm(first.ppi)
    return MinutiaeRecord(
        format=fmt,
        views=views,
        width=first.width,
        height=first.height,
        xres=res,
        yres=res,
        vendor=0,
        version_bytes=_VERSION[fmt],
    )
