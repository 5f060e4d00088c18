"""The typed ten-print transaction Granica exchanges: type-1 header, type-2 descriptive text,
one type-4 or type-14 image per finger position and type-10 facial images.

`build_transaction` turns enrolment data into ANSI/NIST-ITL records; `read_tenprint` reads any
transaction back into the same model.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from granica.biometrics.formats.an2k import BinaryRecord, Field, TaggedRecord, Transaction
from granica.biometrics.formats.images import decode_wsq, encode_image, read_image
from granica.errors import ValidationError

# ANSI/NIST-ITL 1-2011 Table 8 (friction ridge position codes), the ten-print part of it.
FINGER_NAMES: dict[int, str] = {
    0: "unknown",
    1: "right thumb",
    2: "right index",
    3: "right middle",
    4: "right ring",
    5: "right little",
    6: "left thumb",
    7: "left index",
    8: "left middle",
    9: "left ring",
    10: "left little",
    11: "plain right thumb",
    12: "plain left thumb",
    13: "plain right four fingers",
    14: "plain left four fingers",
    15: "plain thumbs",
}
# Table 7 impression types used at enrolment.
IMPRESSION_NAMES: dict[int, str] = {
    0: "live-scan plain",
    1: "live-scan rolled",
    2: "nonlive-scan plain",
    3: "nonlive-scan rolled",
    8: "live-scan vertical swipe",
}
# Table 15 compression codes: type-4 carries the number, type-10/14 the label.
COMPRESSION_CODES: dict[str, int] = {
    "NONE": 0,
    "WSQ20": 1,
    "JPEGB": 2,
    "JPEGL": 3,
    "JP2": 4,
    "JP2L": 5,
    "PNG": 6,
}
_CODE_LABEL = {v: k for k, v in COMPRESSION_CODES.items()}
VERSION_2011 = "0500"
VERSION_2015 = "0502"
PPMM_500 = "19.69"  # 500 ppi in pixels per millimetre, as NSR/NTR are written


def compression_label(value: str | int) -> str:
    """Normalise a compression code or label ('WSQ' from pre-2011 files is 'WSQ20')."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return _CODE_LABEL.get(int(value), str(value))
    label = value.strip().upper()
    return "WSQ20" if label == "WSQ" else label


@dataclass
class FingerImage:
    """One finger (or slap) image as it travels in a type-4 or type-14 record."""

    position: int
    image: bytes
    compression: str
    width: int
    height: int
    ppi: int = 500
    impression: int = 0
    record_type: int = 14
    amputation: str | None = None  # type-14 AMP: 'XX' amputated, 'UP' unable to print

    def pixels(self) -> np.ndarray:
        """Decoded 8-bit grey pixels."""
        if self.compression == "NONE":
            return np.frombuffer(self.image, dtype=np.uint8).reshape(self.height, self.width).copy()
        if self.compression == "WSQ20":
            return decode_wsq(self.image)[0]
        return read_image(self.image)[0]


@dataclass
class FaceImage:
    """A type-10 facial image."""

    image: bytes
    compression: str
    width: int
    height: int
    colour_space: str = "SRGB"
    pose: str = "F"
    acquisition_profile: str = "1"


@dataclass
class TransactionHeader:
    """The type-1 values Granica sets (1.002 VER, 1.004 TOT, 1.005 DAT, 1.006 PRY, 1.007 DAI,
    1.008 ORI, 1.009 TCN, 1.010 TCR, 1.011 NSR, 1.012 NTR, 1.013 DOM, 1.014 GMT)."""

    tot: str
    dai: str
    ori: str
    tcn: str
    date: str  # YYYYMMDD
    version: str = VERSION_2015
    priority: str | None = None
    tcr: str | None = None
    nsr: str = PPMM_500
    ntr: str = PPMM_500
    domain: tuple[str, ...] | None = None
    gmt: str | None = None  # YYYYMMDDhhmmssZ


@dataclass
class TenPrint:
    header: TransactionHeader
    descriptive: dict[int, str] = field(default_factory=dict)  # type-2 fields by number
    fingers: list[FingerImage] = field(default_factory=list)
    faces: list[FaceImage] = field(default_factory=list)
    source_agency: str = ""  # 10.004 / 14.004 SRC
    capture_date: str = ""  # 10.005 / 14.005 (YYYYMMDD)

    def finger(self, position: int) -> FingerImage | None:
        return next((f for f in self.fingers if f.position == position), None)


def ppmm_to_ppi(value: str) -> int:
    try:
        return round(float(value) * 25.4)
    except ValueError:
        return 0


def finger_from_pixels(
    position: int,
    pixels: np.ndarray,
    *,
    ppi: int = 500,
    compression: str = "WSQ20",
    impression: int = 0,
    record_type: int = 14,
) -> FingerImage:
    """Compress a finger image for a record (WSQ at 0.75 bit/pixel by default)."""
    if position not in FINGER_NAMES:
        raise ValidationError(
            f"finger position {position} is not an ANSI/NIST-ITL position code (0-15)", field="FGP"
        )
    label = compression_label(compression)
    img = np.asarray(pixels)
    height, width = img.shape[:2]
    data = encode_image(img, label, ppi)
    return FingerImage(position, data, label, width, height, ppi, impression, record_type)


def _text(record: TaggedRecord, number: int) -> str:
    return record.value(number, "") or ""


def build_transaction(tp: TenPrint) -> Transaction:
    """Records for a ten-print, in the order 1, 2, fingers (by position), faces."""
    h = tp.header
    if len(h.date) != 8 or not h.date.isdigit():
        raise ValidationError(f"1.005 DAT must be YYYYMMDD, not {h.date!r}", field="1.005")
    t1 = TaggedRecord(1, [Field("1.001", b"0")])
    t1.set(2, h.version)
    t1.set(3, [["1", "0"]])
    t1.set(4, h.tot)
    t1.set(5, h.date)
    if h.priority is not None:
        t1.set(6, h.priority)
    t1.set(7, h.dai)
    t1.set(8, h.ori)
    t1.set(9, h.tcn)
    if h.tcr is not None:
        t1.set(10, h.tcr)
    t1.set(11, h.nsr)
    t1.set(12, h.ntr)
    if h.domain is not None:
        t1.set(13, [list(h.domain)])
    if h.gmt is not None:
        t1.set(14, h.gmt)
    records: list[TaggedRecord | BinaryRecord] = [t1]
    t2 = TaggedRecord(2, [Field("2.001", b"0"), Field("2.002", b"00")])
    for number in sorted(tp.descriptive):
        if number <= 2:
            raise ValidationError(
                f"type-2 field 2.{number:03d} is set by the writer", field=f"2.{number:03d}"
            )
        t2.set(number, tp.descriptive[number])
    records.append(t2)
    idc = 1
    for finger in sorted(tp.fingers, key=lambda f: f.position):
        records.append(_finger_record(finger, idc, tp))
        idc += 1
    for face in tp.faces:
        records.append(_face_record(face, idc, tp))
        idc += 1
    tx = Transaction(records)
    tx.update_cnt()
    return tx


def _finger_record(f: FingerImage, idc: int, tp: TenPrint) -> TaggedRecord | BinaryRecord:
    if f.record_type == 4:
        if f.compression not in ("NONE", "WSQ20"):
            raise ValidationError(
                f"type-4 records carry WSQ or uncompressed images, not {f.compression}",
                field="4.008",
            )
        if f.ppi != ppmm_to_ppi(tp.header.nsr):
            raise ValidationError(
                f"type-4 images are at the native scanning resolution "
                f"({tp.header.nsr} ppmm), not {f.ppi} ppi",
                field="4.005",
            )
        header = struct.pack(
            ">BB6sBHHB",
            idc,
            f.impression,
            bytes([f.position] + [255] * 5),
            0,
            f.width,
            f.height,
            COMPRESSION_CODES[f.compression],
        )
        return BinaryRecord(4, header, f.image)
    if f.record_type != 14:
        raise ValidationError(
            f"finger images go in type-4 or type-14 records, not type {f.record_type}"
        )
    r = TaggedRecord(14, [Field("14.001", b"0")])
    r.set(2, f"{idc:02d}")
    r.set(3, str(f.impression))
    r.set(4, tp.source_agency or tp.header.ori)
    r.set(5, tp.capture_date or tp.header.date)
    r.set(6, str(f.width))
    r.set(7, str(f.height))
    r.set(8, "1")  # scale units: pixels per inch
    r.set(9, str(f.ppi))
    r.set(10, str(f.ppi))
    r.set(11, f.compression)
    r.set(12, "8")
    r.set(13, str(f.position))
    if f.amputation is not None:
        r.set(18, [[str(f.position), f.amputation]])
    r.set(999, f.image, binary=True)
    return r


def _face_record(face: FaceImage, idc: int, tp: TenPrint) -> TaggedRecord:
    r = TaggedRecord(10, [Field("10.001", b"0")])
    r.set(2, f"{idc:02d}")
    r.set(3, "FACE")
    r.set(4, tp.source_agency or tp.header.ori)
    r.set(5, tp.capture_date or tp.header.date)
    r.set(6, str(face.width))
    r.set(7, str(face.height))
    r.set(8, "0")  # no scale: only the pixel aspect ratio is given
    r.set(9, "1")
    r.set(10, "1")
    r.set(11, face.compression)
    r.set(12, face.colour_space)
    r.set(13, face.acquisition_profile)
    r.set(20, face.pose)
    r.set(999, face.image, binary=True)
    return r


def read_tenprint(tx: Transaction) -> TenPrint:
    """The ten-print view of any transaction (records it does not model are left out)."""
    t1 = tx.header
    dom = t1.get(13)
    header = TransactionHeader(
        tot=_text(t1, 4),
        dai=_text(t1, 7),
        ori=_text(t1, 8),
        tcn=_text(t1, 9),
        date=_text(t1, 5),
        version=_text(t1, 2),
        priority=t1.value(6),
        tcr=t1.value(10),
        nsr=_text(t1, 11),
        ntr=_text(t1, 12),
        domain=tuple(dom.items()[0]) if dom is not None else None,
        gmt=t1.value(14),
    )
    tp = TenPrint(header=header)
    for record in tx.records[1:]:
        if isinstance(record, TaggedRecord) and record.type == 2 and not tp.descriptive:
            tp.descriptive = {
                f.number: f.value.decode("utf-8", errors="replace")
                for f in record.fields
                if f.number > 2
            }
        elif isinstance(record, BinaryRecord) and record.type == 4:
            ppi = ppmm_to_ppi(header.nsr if record.isr == 0 else header.ntr)
            positions = record.finger_positions or [0]
            tp.fingers.append(
                FingerImage(
                    positions[0],
                    record.data,
                    compression_label(record.compression),
                    record.width,
                    record.height,
                    ppi,
                    record.impression,
                    4,
                )
            )
        elif isinstance(record, TaggedRecord) and record.type == 14:
            tp.fingers.append(_finger_from_14(record))
            tp.source_agency = tp.source_agency or _text(record, 4)
            tp.capture_date = tp.capture_date or _text(record, 5)
        elif (
            isinstance(record, TaggedRecord)
            and record.type == 10
            and _text(record, 3).upper() == "FACE"
        ):
            tp.faces.append(
                FaceImage(
                    image=record.get(999).value if record.get(999) else b"",  # type: ignore[union-attr]
                    compression=compression_label(_text(record, 11)),
                    width=_int(record, 6),
                    height=_int(record, 7),
                    colour_space=_text(record, 12),
                    pose=_text(record, 20),
                    acquisition_profile=_text(record, 13),
                )
            )
    # type-4 records carry neither; the builder falls back to the header the same way
    tp.source_agency = tp.source_agency or header.ori
    tp.capture_date = tp.capture_date or header.date
    return tp


def _int(record: TaggedRecord, number: int) -> int:
    text = _text(record, number)
    return int(text) if text.isdigit() else 0


def _finger_from_14(r: TaggedRecord) -> FingerImage:
    slc = _text(r, 8)
    ppi = _int(r, 9)
    if slc == "2":  # pixels per centimetre
        ppi = round(ppi * 2.54)
    fgp = r.get(13)
    position = int(fgp.subfields[0][0]) if fgp is not None and fgp.subfields[0][0].isdigit() else 0
    amp = r.get(18)
    data = r.get(999)
    return FingerImage(
        position=position,
        image=data.value if data is not None else b"",
        compression=compression_label(_text(r, 11)),
        width=_int(r, 6),
        height=_int(r, 7),
        ppi=ppi,
        impression=_int(r, 3),
        record_type=14,
        amputation=amp.items()[0][1] if amp is not None and len(amp.items()[0]) > 1 else None,
    )


def tenprint_from_images(
    images: Mapping[int, np.ndarray],
    header: TransactionHeader,
    *,
    descriptive: Mapping[int, str] | None = None,
    faces: Sequence[tuple[np.ndarray | bytes, str]] = (),
    compression: str = "WSQ20",
    record_type: int = 14,
    ppi: int = 500,
    impression: int = 0,
    source_agency: str = "",
    capture_date: str | None = None,
) -> TenPrint:
    """Enrolment data to a ten-print: finger images by position code, optional face images
    (pixels, or already-encoded JPEG/PNG/JP2 bytes with their label)."""
    fingers = [
        finger_from_pixels(
            pos,
            img,
            ppi=ppi,
            compression=compression,
            impression=impression,
            record_type=record_type,
        )
        for pos, img in sorted(images.items())
    ]
    face_images = []
    for img, label in faces:
        if isinstance(img, bytes):
            width, height, grey = _image_geometry(img)
            data = img
        else:
            pixels = np.asarray(img)
            data = encode_image(pixels, label)  # encoded grey
            height, width, grey = int(pixels.shape[0]), int(pixels.shape[1]), True
        face_images.append(
            FaceImage(data, compression_label(label), width, height, "GRAY" if grey else "SRGB")
        )
    return TenPrint(
        header=header,
        descriptive=dict(descriptive or {}),
        fingers=fingers,
        faces=face_images,
        source_agency=source_agency or header.ori,
        capture_date=capture_date or header.date,
    )


def _image_geometry(data: bytes) -> tuple[int, int, bool]:
    """Width, height and whether an encoded face image is grey, without decoding it fully."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return int(im.size[0]), int(im.size[1]), im.mode in ("L", "I;16", "1")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError(f"face image is not a readable JPEG/PNG/JPEG 2000 ({exc})") from exc


def dat_date(day: dt.date) -> str:
    """A date as 1.005 DAT wants it (YYYYMMDD); the caller gives the day (the library keeps
    no clock)."""
    return day.strftime("%Y%m%d")


def gmt_stamp(moment: dt.datetime) -> str:
    """A moment as 1.014 GMT wants it (YYYYMMDDhhmmssZ, in UTC); naive moments are refused."""
    if moment.tzinfo is None:
        raise ValueError("1.014 GMT needs a moment with its time zone, not a naive datetime")
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ")
