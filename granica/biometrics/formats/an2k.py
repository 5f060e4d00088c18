"""ANSI/NIST-ITL 1-2011 (and its 2013/2015 updates), traditional encoding: byte-exact reader/writer.

A transaction is a list of records. Tagged records keep every field's tag and value bytes as
written, so reading then writing an unmodified transaction gives back the same bytes; only LEN
(and CNT, when records were added or removed) are recomputed on write.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from granica.biometrics.formats.errors import NistFormatError
from granica.errors import TooLargeError, ValidationError

FS = 0x1C  # ends a record
GS = 0x1D  # ends a field
RS = 0x1E  # separates subfields
US = 0x1F  # separates items

# Record types whose header is fixed-length binary in the traditional encoding.
BINARY_HEADER_SIZE: dict[int, int] = {3: 18, 4: 18, 5: 18, 6: 18, 7: 5, 8: 12}
# Tagged record types the standard defines (1-2011 with updates; 3, 5, 6 and 11/12 are legacy or
# reserved but still seen in old files and passed through untouched).
TAGGED_TYPES = frozenset({1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 98, 99})
KNOWN_TYPES = frozenset(BINARY_HEADER_SIZE) | TAGGED_TYPES
# In these tagged records field 999 holds binary data (an image or a CBEFF block) that runs to
# the end of the record, so separator bytes inside it are data, not structure.
DATA_FIELD = 999

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_SEP = re.compile(rb"[\x1c\x1d]")
_TAG = re.compile(rb"(\d{1,3})\.(\d{1,9}):")
_MAX_TAG = 16


@dataclass
class Field:
    """One tagged field: its tag as written (``"1.003"`` or ``"1.03"``) and its raw value."""

    tag: str
    value: bytes
    binary: bool = False

    @property
    def number(self) -> int:
        return int(self.tag.split(".", 1)[1])

    @property
    def subfields(self) -> list[list[bytes]]:
        """The value split into subfields (RS) and items (US); binary data is one item."""
        if self.binary:
            return [[self.value]]
        return [sub.split(b"\x1f") for sub in self.value.split(b"\x1e")]

    def text(self, encoding: str = "utf-8") -> str:
        """The whole value as text (separators kept as control characters)."""
        return self.value.decode(encoding)

    def items(self, encoding: str = "utf-8") -> list[list[str]]:
        return [[item.decode(encoding) for item in sub] for sub in self.subfields]

    @classmethod
    def from_items(cls, tag: str, value: str | bytes | Sequence[Sequence[str | bytes]]) -> Field:
        """Build a field from a string, raw bytes or a list of subfields of items."""
        if isinstance(value, bytes):
            return cls(tag, value)
        if isinstance(value, str):
            return cls(tag, value.encode("utf-8"))
        subs = []
        for sub in value:
            subs.append(
                b"\x1f".join(i if isinstance(i, bytes) else str(i).encode("utf-8") for i in sub)
            )
        return cls(tag, b"\x1e".join(subs))

    def encoded_size(self) -> int:
        return len(self.tag) + 1 + len(self.value)


@dataclass
class TaggedRecord:
    """A record made of tagged fields (types 1, 2, 9, 10, 13, 14, 15, 17 and others)."""

    type: int
    fields: list[Field] = field(default_factory=list)

    def get(self, number: int) -> Field | None:
        for f in self.fields:
            if f.number == number:
                return f
        return None

    def __getitem__(self, number: int) -> Field:
        f = self.get(number)
        if f is None:
            raise KeyError(f"{self.type}.{number:03d}")
        return f

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.get(number) is not None

    def value(self, number: int, default: str | None = None) -> str | None:
        """A field's text, or `default` when the field is absent."""
        f = self.get(number)
        return default if f is None else f.value.decode("utf-8", errors="replace")

    def set(
        self,
        number: int,
        value: str | bytes | Sequence[Sequence[str | bytes]],
        *,
        binary: bool = False,
    ) -> Field:
        """Set a field, keeping the fields in numerical order (data field 999 stays last)."""
        old = self.get(number)
        tag = old.tag if old is not None else f"{self.type}.{number:03d}"
        new = Field.from_items(tag, value)
        new.binary = binary or number == DATA_FIELD and self.type not in (1, 2)
        if old is not None:
            self.fields[self.fields.index(old)] = new
            return new
        for i, f in enumerate(self.fields):
            if f.number > number:
                self.fields.insert(i, new)
                return new
        self.fields.append(new)
        return new

    def remove(self, number: int) -> None:
        self.fields = [f for f in self.fields if f.number != number]

    @property
    def idc(self) -> int | None:
        if self.type == 1:
            return None
        f = self.get(2)
        if f is None:
            return None
        try:
            return int(f.value)
        except ValueError:
            return None

    def to_bytes(self) -> bytes:
        """Serialise, recomputing field .001 (LEN); a correct LEN keeps its original spelling."""
        if not self.fields or self.fields[0].number != 1:
            raise ValidationError(
                f"type-{self.type} record: the first field must be {self.type}.001 (LEN)",
                field=f"{self.type}.001",
            )
        len_field = self.fields[0]
        rest = sum(f.encoded_size() for f in self.fields[1:]) + len(self.fields)  # + separators
        fixed = len(len_field.tag) + 1
        total = _self_length(fixed + rest, len_field.value)
        if not _same_number(len_field.value, total):
            len_field = Field(len_field.tag, str(total).encode("ascii"))
            self.fields[0] = len_field
        out = bytearray()
        last = len(self.fields) - 1
        for i, f in enumerate(self.fields):
            out += f.tag.encode("ascii")
            out += b":"
            out += f.value
            out.append(FS if i == last else GS)
        return bytes(out)


@dataclass
class BinaryRecord:
    """A record with a fixed binary header (types 3-8); header bytes after LEN kept as read."""

    type: int
    header: bytes  # the fixed header without its 4-byte LEN
    data: bytes

    @property
    def idc(self) -> int:
        return self.header[0]

    # Type-4 (and 3, 5, 6) header layout: IDC, IMP, FGP x6, ISR, HLL(2), VLL(2), GCA.
    @property
    def impression(self) -> int:
        return self.header[1]

    @property
    def finger_positions(self) -> list[int]:
        return [b for b in self.header[2:8] if b != 255]

    @property
    def width(self) -> int:
        return int(struct.unpack_from(">H", self.header, 9)[0])

    @property
    def height(self) -> int:
        return int(struct.unpack_from(">H", self.header, 11)[0])

    @property
    def compression(self) -> int:
        return self.header[13]

    @property
    def isr(self) -> int:
        return self.header[8]

    def to_bytes(self) -> bytes:
        size = BINARY_HEADER_SIZE[self.type]
        if len(self.header) != size - 4:
            raise ValidationError(
                f"type-{self.type} record: header must be {size - 4} bytes after LEN, "
                f"not {len(self.header)}"
            )
        total = size + len(self.data)
        if total > 0xFFFFFFFF:
            raise TooLargeError(f"type-{self.type} record of {total} bytes exceeds the 4-byte LEN")
        return struct.pack(">I", total) + self.header + self.data


Record = TaggedRecord | BinaryRecord


@dataclass
class Transaction:
    """An ANSI/NIST-ITL transaction: the type-1 header first, then the records its CNT lists."""

    records: list[Record]
    # Oddities the reader tolerated because they do not stop a byte-exact round trip.
    warnings: list[str] = field(default_factory=list)

    @property
    def header(self) -> TaggedRecord:
        first = self.records[0]
        assert isinstance(first, TaggedRecord) and first.type == 1
        return first

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def of_type(self, record_type: int) -> list[Record]:
        return [r for r in self.records if r.type == record_type]

    def expected_cnt(self) -> list[tuple[int, int]]:
        """(record type, IDC) pairs that 1.003 must list, from the records themselves."""
        pairs = [(1, len(self.records) - 1)]
        for r in self.records[1:]:
            idc = r.idc
            pairs.append((r.type, 0 if idc is None else idc))
        return pairs

    def update_cnt(self) -> None:
        """Rewrite 1.003 when it no longer matches the records (kept as written otherwise)."""
        expected = self.expected_cnt()
        current = self.header.get(3)
        if current is not None and _cnt_pairs(current) == expected:
            return
        items = [[str(t), f"{i:02d}" if n else str(i)] for n, (t, i) in enumerate(expected)]
        self.header.set(3, items)

    def to_bytes(self) -> bytes:
        """Serialise the transaction; LEN of every record and CNT are brought up to date."""
        if (
            not self.records
            or not isinstance(self.records[0], TaggedRecord)
            or self.records[0].type != 1
        ):
            raise ValidationError("a transaction must start with its type-1 record")
        self.update_cnt()
        return b"".join(r.to_bytes() for r in self.records)

    def write(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())


def _same_number(raw: bytes, number: int) -> bool:
    return raw.isdigit() and int(raw) == number


def _self_length(base: int, original: bytes) -> int:
    """Total record length when the LEN value's own digits are part of it."""
    if original.isdigit() and int(original) == base + len(original):
        return base + len(original)
    digits = 1
    while len(str(base + digits)) != digits:
        digits += 1
    return base + digits


def _cnt_pairs(cnt: Field) -> list[tuple[int, int]] | None:
    try:
        return [(int(sub[0]), int(sub[1])) for sub in cnt.subfields]
    except (ValueError, IndexError):
        return None


# ---------------------------------------------------------------------------------------------
# Reading


def read_transaction(
    source: str | Path | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Transaction:
    """Read a transaction from a path or bytes: the traditional encoding, or the 2-2008 XML
    encoding (recognised by its leading '<', read by `an2k_xml.read_xml`).

    Raises NistFormatError (an InputFormatError) naming the record, field and byte offset for
    anything malformed, and TooLargeError for files over `max_bytes`.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = Path(source)
        size = path.stat().st_size
        if size > max_bytes:
            raise TooLargeError(
                f"{path}: {size} bytes is over the {max_bytes}-byte limit for a transaction; "
                "raise max_bytes if this file is expected"
            )
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise TooLargeError(f"transaction of {len(data)} bytes is over the {max_bytes}-byte limit")
    from granica.biometrics.formats.an2k_xml import looks_like_xml, read_xml

    if looks_like_xml(data):
        return read_xml(data, max_bytes=max_bytes)
    return _Reader(data).read()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)
        self.warnings: list[str] = []
        self.cnt_offset = 0  # where 1.003 starts, for CNT errors
        self.record_end = 0  # end of the record read last

    def fail(
        self,
        problem: str,
        offset: int,
        record: int | None = None,
        record_type: int | None = None,
        fld: str | None = None,
    ) -> NistFormatError:
        return NistFormatError(
            problem, offset=offset, record=record, record_type=record_type, field=fld
        )

    def read(self) -> Transaction:
        data = self.data
        if not data:
            raise self.fail("the file is empty", 0)
        header = self.tagged(0, 1, 1)
        assert isinstance(header, TaggedRecord)
        self.check_ascii(header, 0)
        cnt = header.get(3)
        if cnt is None:
            raise self.fail("field 1.003 (CNT) is missing", 0, 1, 1, "1.003")
        entries = self.parse_cnt(cnt)
        records: list[Record] = [header]
        pos = self.record_end
        for index, (rtype, idc) in enumerate(entries, start=2):
            if pos >= self.size:
                raise self.fail(
                    f"the file ends after {index - 1} records but 1.003 (CNT) lists "
                    f"{len(entries) + 1}"
                    " (truncated file or CNT that does not match)",
                    pos,
                    index,
                    rtype,
                )
            if rtype in BINARY_HEADER_SIZE:
                record: Record = self.binary(pos, rtype, index)
            elif rtype in TAGGED_TYPES:
                record = self.tagged(pos, rtype, index)
            else:
                raise self.fail(
                    f"1.003 (CNT) lists record type {rtype}, which ANSI/NIST-ITL does not define "
                    "(so its length and layout are unknown)",
                    pos,
                    index,
                    rtype,
                    "1.003",
                )
            if record.idc is not None and record.idc != idc:
                raise self.fail(
                    f"IDC {record.idc} does not match the IDC {idc} that 1.003 (CNT) lists for it",
                    pos,
                    index,
                    rtype,
                )
            records.append(record)
            pos = self.record_end
        if pos != self.size:
            raise self.fail(
                f"{self.size - pos} bytes follow the last record that 1.003 (CNT) lists "
                "(CNT lists too few records, or a LEN is wrong)",
                pos,
                len(records) + 1,
            )
        return Transaction(records, warnings=self.warnings)

    def parse_cnt(self, cnt: Field) -> list[tuple[int, int]]:
        subs = cnt.subfields
        pairs: list[tuple[int, int]] = []
        for n, sub in enumerate(subs):
            if len(sub) != 2 or not all(i.isdigit() for i in sub):
                raise self.fail(
                    f"subfield {n + 1} of 1.003 (CNT) is not two numbers",
                    self.cnt_offset,
                    1,
                    1,
                    "1.003",
                )
            pairs.append((int(sub[0]), int(sub[1])))
        if pairs[0][0] != 1:
            raise self.fail(
                "the first subfield of 1.003 (CNT) must describe record type 1",
                self.cnt_offset,
                1,
                1,
                "1.003",
            )
        if pairs[0][1] != len(pairs) - 1:
            raise self.fail(
                f"1.003 (CNT) says {pairs[0][1]} records follow but lists {len(pairs) - 1}",
                self.cnt_offset,
                1,
                1,
                "1.003",
            )
        return pairs[1:]

    def binary(self, pos: int, rtype: int, index: int) -> BinaryRecord:
        hsize = BINARY_HEADER_SIZE[rtype]
        if pos + 4 > self.size:
            raise self.fail(
                "the file ends inside the 4-byte LEN of a binary record", pos, index, rtype
            )
        (length,) = struct.unpack_from(">I", self.data, pos)
        if length < hsize:
            raise self.fail(
                f"binary LEN {length} is shorter than the {hsize}-byte header",
                pos,
                index,
                rtype,
                f"{rtype}.001",
            )
        if pos + length > self.size:
            raise self.fail(
                f"binary LEN {length} runs past the end of the file ({self.size - pos} bytes left:"
                " truncated file or wrong LEN)",
                pos,
                index,
                rtype,
                f"{rtype}.001",
            )
        self.record_end = pos + length
        return BinaryRecord(
            rtype, self.data[pos + 4 : pos + hsize], self.data[pos + hsize : pos + length]
        )

    def tag_at(self, pos: int, end: int, index: int, rtype: int) -> tuple[str, int, int, int]:
        """Parse 'T.N:' at pos; returns tag text, record type, field number, value start."""
        m = _TAG.match(self.data, pos, min(end, pos + _MAX_TAG))
        if m is None:
            shown = self.data[pos : pos + 12]
            raise self.fail(
                f"expected a field tag like '{rtype}.001:' but found {shown!r} (a missing or extra "
                "separator, or a wrong LEN)",
                pos,
                index,
                rtype,
            )
        return m.group(0)[:-1].decode("ascii"), int(m.group(1)), int(m.group(2)), m.end()

    def tagged(self, pos: int, rtype: int, index: int) -> TaggedRecord:
        data = self.data
        tag, ttype, number, vstart = self.tag_at(pos, self.size, index, rtype)
        if ttype != rtype:
            raise self.fail(
                f"1.003 (CNT) says this is a type-{rtype} record but it starts with tag {tag}",
                pos,
                index,
                rtype,
                tag,
            )
        if number != 1:
            raise self.fail(
                f"the first field must be {rtype}.001 (LEN), not {tag}", pos, index, rtype, tag
            )
        sep = _SEP.search(data, vstart, min(self.size, vstart + 12))
        if sep is None:
            raise self.fail("LEN has no field separator within 12 bytes", vstart, index, rtype, tag)
        raw_len = data[vstart : sep.start()]
        if not raw_len.isdigit() or not raw_len.isascii():
            raise self.fail(f"LEN {raw_len!r} is not a decimal number", vstart, index, rtype, tag)
        length = int(raw_len)
        end = pos + length
        if length < sep.end() - pos:
            raise self.fail(
                f"LEN {length} is shorter than the LEN field itself", vstart, index, rtype, tag
            )
        if end > self.size:
            raise self.fail(
                f"LEN {length} runs past the end of the file ({self.size - pos} bytes left: "
                "truncated file or wrong LEN)",
                vstart,
                index,
                rtype,
                tag,
            )
        if data[end - 1] != FS:
            raise self.fail(
                f"LEN {length} does not end on the record separator (FS): byte {end - 1} is "
                f"{data[end - 1]:#04x} (wrong LEN or missing separator)",
                vstart,
                index,
                rtype,
                tag,
            )
        fields = [Field(tag, raw_len)]
        if rtype == 1:
            self.cnt_offset = pos
        cursor = sep.end()
        if sep.group(0)[0] == FS and cursor != end:
            raise self.fail(
                "record separator (FS) before the end that LEN declares",
                sep.start(),
                index,
                rtype,
                tag,
            )
        while cursor < end and sep.group(0)[0] != FS:
            tag, ttype, number, vstart = self.tag_at(cursor, end, index, rtype)
            if ttype != rtype:
                # Seen in NIST's own test data (a 13.005 inside a type-9 record): keep it as
                # written so the file still round-trips, and let the validator report it.
                self.warnings.append(
                    f"record {index} (type {rtype}), byte offset {cursor}: field {tag} carries "
                    f"the tag of record type {ttype}"
                )
            if rtype == 1 and number == 3:
                self.cnt_offset = cursor
            if number == DATA_FIELD and rtype not in (1, 2):
                fields.append(Field(tag, data[vstart : end - 1], binary=True))
                cursor = end
                break
            found = _SEP.search(data, vstart, end)
            if found is None:  # cannot happen: data[end-1] is FS
                raise self.fail("field has no separator", vstart, index, rtype, tag)
            sep = found
            fields.append(Field(tag, data[vstart : sep.start()]))
            cursor = sep.end()
            if sep.group(0)[0] == FS and cursor != end:
                raise self.fail(
                    f"record separator (FS) at byte {sep.start()}, before the end that LEN "
                    f"declares ({end - 1}): wrong LEN or a field separator (GS) written as FS",
                    sep.start(),
                    index,
                    rtype,
                    tag,
                )
            if sep.group(0)[0] == GS and cursor >= end:
                raise self.fail(
                    "the record ends with GS instead of FS", sep.start(), index, rtype, tag
                )
        self.record_end = end
        record = TaggedRecord(rtype, fields)
        if rtype != 1:
            idc_field = record.get(2)
            if idc_field is None:
                # found by atheris: without an IDC the record cannot be matched to its CNT entry
                raise self.fail(
                    f"field {rtype}.002 (IDC) is missing", pos, index, rtype, f"{rtype}.002"
                )
            if not idc_field.value.isdigit():
                raise self.fail(
                    f"IDC {idc_field.value[:20]!r} is not a number",
                    pos,
                    index,
                    rtype,
                    idc_field.tag,
                )
        return record

    def check_ascii(self, record: TaggedRecord, pos: int) -> None:
        """Type-1 is 7-bit ASCII whatever character set the other records use (1-2011, 8.1)."""
        offset = pos
        for f in record.fields:
            value_start = offset + len(f.tag) + 1
            if not f.value.isascii():
                bad = next(i for i, b in enumerate(f.value) if b > 0x7F)
                raise self.fail(
                    f"byte {f.value[bad]:#04x} is not 7-bit ASCII, which type-1 requires",
                    value_start + bad,
                    1,
                    1,
                    f.tag,
                )
            offset = value_start + len(f.value) + 1
