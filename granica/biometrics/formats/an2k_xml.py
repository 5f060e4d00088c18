"""ANSI/NIST-ITL 2-2008 XML encoding (NIEM 2.0 namespaces): reader and writer.

`read_xml(data)` gives the same `Transaction` model as the traditional reader (tagged records
of `Field`s, `BinaryRecord`s for types 3-8) and `to_xml(transaction)` writes one. Which element
holds which field is declared once, in `an2k_xml.toml`; this module only walks that mapping.

Fields the 2-2008 XML has no element for (type-2 user-defined fields, 1-2011 additions, the
IAFIS and INCITS 378 type-9 blocks) and values a mapping cannot hold without loss are written
as domain-defined fields (`gr:Field` inside `gr:DomainDefinedFields`, or inside
`itl:UserDefinedDescriptiveText` for type 2), so traditional -> XML -> traditional keeps every
field. XML from another system is untrusted: DTDs and entities are refused, the size is capped,
and every element must be one the mapping knows.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from granica.biometrics.formats.an2k import (
    BINARY_HEADER_SIZE,
    DATA_FIELD,
    DEFAULT_MAX_BYTES,
    BinaryRecord,
    Field,
    Record,
    TaggedRecord,
    Transaction,
)
from granica.biometrics.formats.errors import NistFormatError
from granica.errors import ValidationError

MAPPING_FILE = Path(__file__).with_name("an2k_xml.toml")
RS, US = "\x1e", "\x1f"
_HINT = (
    "check that the file is a complete ANSI/NIST-ITL 2-2008 XML transaction (NIEM 2.0 "
    "namespaces, as NIST NBIS an2kconvert writes it)"
)
# Characters XML 1.0 cannot carry, plus CR (a parser turns it into LF).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b-\x0d\x0e-\x1f\ufffe\uffff]")
_ENCODING_DECL = re.compile(r"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$")
_VECTOR = 5  # type-8 vector: X (2 bytes), Y (2 bytes), pen pressure (1 byte)
_SIGNATURE_VECTORS = "2"  # 8.004 SRT value for vector data


class _Lossy(Exception):
    """The mapping cannot hold this value exactly: it is written as a domain-defined field."""


# ---------------------------------------------------------------------------------------------
# The mapping, loaded from an2k_xml.toml

Path_ = tuple[str, ...]  # Clark names ({uri}local), outermost first


@dataclass(frozen=True)
class ItemSpec:
    item: int = 0
    at: Path_ = ()
    split: str | None = None
    part: int = 0
    start: int = 0  # repeated items: from this item on
    step: int = 1
    each: Path_ = ()
    parts: tuple[Path_, ...] = ()
    sep: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    number: int
    path: Path_
    items: tuple[ItemSpec, ...] | None = None
    each: Path_ | None = None
    first: tuple[ItemSpec, ...] | None = None
    shared: bool = False
    format: str | None = None
    truth: tuple[str, str] | None = None
    binary: bool = False


@dataclass(frozen=True)
class Variant:
    name: str
    fields: tuple[FieldSpec, ...]
    field: int = 0
    equals: tuple[str, ...] = ()
    minimum: int | None = None

    def matches(self, record: TaggedRecord) -> bool:
        f = record.get(self.field)
        if f is None or f.binary:
            return False
        text = f.value.decode("utf-8", errors="replace")
        if self.equals:
            return text in self.equals
        first = f.subfields[0][0]
        return self.minimum is not None and first.isdigit() and int(first) >= self.minimum


@dataclass(frozen=True)
class Layout:
    fields: tuple[tuple[int, int, int, int], ...]  # number, bytes, count, digits
    data: int


@dataclass
class RecordSpec:
    type: int
    element: str
    required: tuple[int, ...]
    domain: Path_
    variants: list[Variant]  # the default variant first
    layout: Layout | None = None
    read_specs: list[FieldSpec] = field(default_factory=list)
    leaves: set[Path_] = field(default_factory=set)
    containers: set[Path_] = field(default_factory=set)


@dataclass
class Mapping:
    namespaces: dict[str, str]
    root: str
    records: dict[int, RecordSpec]
    by_element: dict[str, RecordSpec]

    def prefixed(self, path: Path_) -> str:
        return "/".join(self.short(tag) for tag in path)

    def short(self, tag: str) -> str:
        if tag.startswith("{"):
            uri, local = tag[1:].split("}", 1)
            for prefix, known in self.namespaces.items():
                if known == uri:
                    return f"{prefix}:{local}"
            return f"{{{uri}}}{local}"
        return tag


def _clark(name: str, namespaces: dict[str, str]) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{namespaces[prefix]}}}{local}"


def _path(text: str, namespaces: dict[str, str], variables: dict[str, str]) -> Path_:
    for key, value in variables.items():
        text = text.replace("{" + key + "}", value)
    return tuple(_clark(part, namespaces) for part in text.split("/") if part)


def _item_spec(raw: dict[str, Any], ns: dict[str, str], var: dict[str, str]) -> ItemSpec:
    return ItemSpec(
        item=int(raw.get("item", 0)),
        at=_path(raw.get("at", ""), ns, var),
        split=raw.get("split"),
        part=int(raw.get("part", 0)),
        start=int(raw.get("from", 0)),
        step=int(raw.get("step", 1)),
        each=_path(raw.get("each", ""), ns, var),
        parts=tuple(_path(p, ns, var) for p in raw.get("parts", [])),
        sep=raw.get("sep"),
    )


def _field_spec(raw: dict[str, Any], ns: dict[str, str], var: dict[str, str]) -> FieldSpec:
    def items(key: str) -> tuple[ItemSpec, ...] | None:
        if key not in raw:
            return None
        return tuple(_item_spec(i, ns, var) for i in raw[key])

    truth = raw.get("truth")
    return FieldSpec(
        number=int(raw["field"]),
        path=_path(raw["path"], ns, var),
        items=items("items"),
        each=_path(raw["each"], ns, var) if "each" in raw else None,
        first=items("first"),
        shared=bool(raw.get("shared", False)),
        format=raw.get("format"),
        truth=(str(truth[0]), str(truth[1])) if truth else None,
        binary=bool(raw.get("binary", False)),
    )


def _spec_paths(spec: FieldSpec, leaves: set[Path_], containers: set[Path_]) -> None:
    def prefixes(path: Path_) -> None:
        for n in range(1, len(path)):
            containers.add(path[:n])

    def add_items(base: Path_, items: tuple[ItemSpec, ...]) -> None:
        containers.add(base)
        prefixes(base)
        for it in items:
            if it.start:
                each = base + it.each
                prefixes(each)
                if it.parts:
                    containers.add(each)
                    for part in it.parts:
                        leaves.add(each + part)
                        prefixes(each + part)
                else:
                    leaves.add(each)
            else:
                leaves.add(base + it.at)
                prefixes(base + it.at)

    if spec.each is None and spec.items is None:
        leaves.add(spec.path)
        prefixes(spec.path)
        return
    if spec.each is None:
        add_items(spec.path, spec.items or ())
        return
    containers.add(spec.path)
    prefixes(spec.path)
    if spec.first:
        add_items(spec.path, spec.first)
    each = spec.path + spec.each
    prefixes(each)
    if spec.items is not None:
        add_items(each, spec.items)
    else:
        leaves.add(each)


@cache
def mapping() -> Mapping:
    """The element mapping of an2k_xml.toml (loaded once)."""
    with MAPPING_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    ns: dict[str, str] = dict(raw["namespaces"])
    default_domain = raw["domain_element"]
    layouts = {
        name: Layout(tuple((e[0], e[1], e[2], e[3]) for e in lay["fields"]), int(lay["data"]))
        for name, lay in raw["layouts"].items()
    }
    records: dict[int, RecordSpec] = {}
    for key, rec in raw["records"].items():
        rtype = int(key)
        group = raw.get("groups", {}).get(rec.get("group", ""), {})
        field_rows = rec.get("fields", group.get("fields", []))
        base_vars = dict(rec.get("vars", {}))
        variant_rows = [{"name": "default"}] + list(rec.get("variants", []))
        variants = []
        for row in variant_rows:
            name = row["name"]
            var = {**base_vars, **row.get("vars", {})}
            specs = tuple(
                _field_spec(f, ns, var) for f in field_rows if f.get("only", name) == name
            )
            variants.append(
                Variant(
                    name,
                    specs,
                    field=int(row.get("field", 0)),
                    equals=tuple(row.get("equals", ())),
                    minimum=row.get("min"),
                )
            )
        spec = RecordSpec(
            type=rtype,
            element=_clark(rec["element"], ns),
            required=tuple(rec.get("required", group.get("required", [2]))),
            domain=_path(rec.get("domain_element", default_domain), ns, {}),
            variants=variants,
            layout=layouts[rec["layout"]] if "layout" in rec else None,
        )
        for variant in variants:
            for fs in variant.fields:
                if fs not in spec.read_specs:
                    spec.read_specs.append(fs)
                    _spec_paths(fs, spec.leaves, spec.containers)
        records[rtype] = spec
    for prefix, uri in ns.items():
        ET.register_namespace(prefix, uri)
    return Mapping(ns, _clark(raw["root"], ns), records, {r.element: r for r in records.values()})


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class _Node:
    """An element to merge into the tree: found (first child with the tag) or created."""

    tag: str
    text: str | None = None
    children: list[_Node] = field(default_factory=list)
    fresh: bool = False  # always a new element (one per subfield or repeated item)
    index: int | None = None  # the index-th element with this tag (shared by fields)


def _chain(
    path: Path_, text: str | None = None, *, fresh: bool = False, index: int | None = None
) -> tuple[_Node, _Node]:
    """Nested nodes for a path; returns (outermost, innermost)."""
    nodes = [_Node(tag) for tag in path]
    for outer, inner in itertools.pairwise(nodes):
        outer.children.append(inner)
    leaf = nodes[-1]
    leaf.text, leaf.fresh, leaf.index = text, fresh, index
    return nodes[0], leaf


def _merge(parent: ET.Element, node: _Node) -> None:
    if node.fresh:
        el = ET.SubElement(parent, node.tag)
    else:
        same = [c for c in parent if c.tag == node.tag]
        pick = node.index if node.index is not None else 0
        el = same[pick] if pick < len(same) else ET.SubElement(parent, node.tag)
    if node.text is not None:
        el.text = node.text
    for child in node.children:
        _merge(el, child)


def _safe(text: str) -> str:
    if _NOT_IN_XML.search(text):
        raise _Lossy
    return text


def _split(text: str, how: str) -> list[str]:
    tail = 3 if how == "xyt" else 0
    head = text[: len(text) - tail] if tail else text
    half = len(head) // 2
    parts = [head[:half], head[half:]]
    return parts + [text[len(head) :]] if tail else parts


def _format_out(spec: FieldSpec, text: str) -> str:
    if spec.format == "date":
        if not re.fullmatch(r"\d{8}", text):
            raise _Lossy
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if spec.format == "datetime":
        if not re.fullmatch(r"\d{14}Z", text):
            raise _Lossy
        return f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}Z"
    if spec.truth is not None:
        if text not in spec.truth:
            raise _Lossy
        return "true" if text == spec.truth[0] else "false"
    return _safe(text)


def _item_nodes(specs: tuple[ItemSpec, ...], items: list[str]) -> list[_Node]:
    nodes: list[_Node] = []
    covered: set[int] = set()
    for spec in specs:
        if spec.start:
            i = spec.start
            while i <= len(items):
                top, holder = _chain(spec.each, fresh=True)
                if spec.sep is not None:
                    pieces = items[i - 1].split(spec.sep)
                    if len(pieces) > len(spec.parts):
                        raise _Lossy
                    holder.children = [_chain(p, _safe(v))[0] for p, v in zip(spec.parts, pieces)]
                    covered.add(i)
                    i += 1
                elif spec.parts:
                    group = items[i - 1 : i - 1 + spec.step]
                    holder.children = [_chain(p, _safe(v))[0] for p, v in zip(spec.parts, group)]
                    covered.update(range(i, i + len(group)))
                    i += spec.step
                else:
                    holder.text = _safe(items[i - 1])
                    covered.add(i)
                    i += 1
                nodes.append(top)
        elif spec.item <= len(items):
            text = items[spec.item - 1]
            if spec.split:
                text = _split(text, spec.split)[spec.part]
            nodes.append(_chain(spec.at, _safe(text))[0])
            covered.add(spec.item)
    if len(covered) != len(items):
        raise _Lossy
    return nodes


def _field_nodes(spec: FieldSpec, f: Field) -> list[_Node]:
    """The nodes that hold field f under its mapping, or _Lossy."""
    if spec.binary:
        if not f.binary:
            raise _Lossy
        return [_chain(spec.path, base64.b64encode(f.value).decode("ascii"))[0]]
    if f.binary:
        raise _Lossy
    try:
        subs = [[i.decode("utf-8") for i in sub] for sub in f.subfields]
    except UnicodeDecodeError:
        raise _Lossy from None
    if spec.each is None and spec.items is None:
        if len(subs) != 1 or len(subs[0]) != 1:
            raise _Lossy
        return [_chain(spec.path, _format_out(spec, subs[0][0]))[0]]
    if spec.each is None:
        if len(subs) != 1:
            raise _Lossy
        top, leaf = _chain(spec.path)
        leaf.children = _item_nodes(spec.items or (), subs[0])
        return [top]
    top, leaf = _chain(spec.path)
    rest = subs
    if spec.first is not None:
        leaf.children += _item_nodes(spec.first, subs[0])
        rest = subs[1:]
    for n, sub in enumerate(rest):
        each_top, each_leaf = _chain(
            spec.each, fresh=not spec.shared, index=n if spec.shared else None
        )
        if spec.items is not None:
            each_leaf.children = _item_nodes(spec.items, sub)
        elif len(sub) == 1:
            each_leaf.text = _format_out(spec, sub[0])
        else:
            raise _Lossy
        leaf.children.append(each_top)
    return [top]


def _domain_field(m: Mapping, f: Field) -> ET.Element:
    gr = m.namespaces["gr"]
    el = ET.Element(f"{{{gr}}}Field")
    ET.SubElement(el, f"{{{gr}}}FieldNumber").text = str(f.number)
    try:
        subs = [[_safe(i.decode("utf-8")) for i in sub] for sub in f.subfields]
    except (UnicodeDecodeError, _Lossy):
        subs = []
    if f.binary or not subs:
        ET.SubElement(el, _clark("nc:BinaryBase64Object", m.namespaces)).text = base64.b64encode(
            f.value
        ).decode("ascii")
        return el
    for sub in subs:
        sub_el = ET.SubElement(el, f"{{{gr}}}Subfield")
        for item in sub:
            ET.SubElement(sub_el, f"{{{gr}}}Item").text = item
    return el


def _binary_view(record: BinaryRecord, layout: Layout) -> TaggedRecord:
    """A binary record as the tagged fields the XML maps (IDC, IMP, FGP, ... and the data)."""
    out = TaggedRecord(record.type, [Field(f"{record.type}.001", b"0")])
    pos = 0
    for number, size, count, digits in layout.fields:
        values = []
        for _ in range(count):
            values.append(str(int.from_bytes(record.header[pos : pos + size], "big")).zfill(digits))
            pos += size
        out.fields.append(Field(f"{record.type}.{number:03d}", RS.join(values).encode("ascii")))
    data_tag = f"{record.type}.{layout.data:03d}"
    if not record.data:
        return out
    srt = out.get(4)
    if record.type == 8 and srt is not None and srt.value == _SIGNATURE_VECTORS.encode():
        if len(record.data) % _VECTOR:
            out.fields.append(Field(data_tag, record.data, binary=True))
            return out
        vectors = []
        for at in range(0, len(record.data), _VECTOR):
            x, y, p = (
                int.from_bytes(record.data[at : at + 2], "big"),
                int.from_bytes(record.data[at + 2 : at + 4], "big"),
                record.data[at + 4],
            )
            vectors.append(f"{x}{US}{y}{US}{p}")
        out.fields.append(Field(data_tag, RS.join(vectors).encode("ascii")))
    else:
        out.fields.append(Field(data_tag, record.data, binary=True))
    return out


def _record_element(m: Mapping, record: Record, index: int) -> ET.Element:
    spec = m.records.get(record.type)
    if spec is None:
        raise NistFormatError(
            f"record type {record.type} has no ANSI/NIST-ITL 2-2008 XML mapping",
            record=index,
            record_type=record.type,
            hint=f"the XML writer maps record types {', '.join(map(str, sorted(m.records)))}; "
            "send this transaction in the traditional encoding",
        )
    if isinstance(record, BinaryRecord):
        assert spec.layout is not None
        tagged = _binary_view(record, spec.layout)
    else:
        tagged = record
    variant = next((v for v in spec.variants[1:] if v.matches(tagged)), spec.variants[0])
    el = ET.Element(spec.element)
    ET.SubElement(
        el, _clark("ansi-nist:RecordCategoryCode", m.namespaces)
    ).text = f"{record.type:02d}"
    left = [f for f in tagged.fields if f.number != 1]
    for fs in variant.fields:
        f = next((f for f in left if f.number == fs.number), None)
        if f is None:
            continue
        try:
            nodes = _field_nodes(fs, f)
        except _Lossy:
            continue
        for node in nodes:
            _merge(el, node)
        left.remove(f)
    if left:
        _merge(el, _chain(spec.domain)[0])
        container = el
        for tag in spec.domain:
            found = container.find(tag)
            assert found is not None
            container = found
        for f in left:
            container.append(_domain_field(m, f))
    return el


def to_xml(transaction: Transaction) -> bytes:
    """The transaction in the ANSI/NIST-ITL 2-2008 XML encoding (UTF-8)."""
    m = mapping()
    records = transaction.records
    if not records or not isinstance(records[0], TaggedRecord) or records[0].type != 1:
        raise ValidationError("a transaction must start with its type-1 record")
    root = ET.Element(m.root)
    for index, record in enumerate(records, start=1):
        root.append(_record_element(m, record, index))
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written


# ---------------------------------------------------------------------------------------------
# Reading


def _unknown_element(m: Mapping, tag: str, where: str) -> tuple[str, str]:
    """Problem and hint for an element the mapping does not know."""
    uri = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    if uri not in m.namespaces.values():
        problem = (
            f"element {m.short(tag)} is in namespace {uri or '(none)'!r}, which the "
            "ANSI/NIST-ITL 2-2008 mapping does not use"
        )
        known = ", ".join(sorted(m.namespaces.values()))
        hint = (
            f"Granica reads the 2-2008 NIEM 2.0 XML encoding (namespaces {known}); ask the "
            "sender for that encoding or the traditional one"
        )
        return problem, hint
    hint = (
        "a misspelt or misplaced element, or a field Granica does not map: check "
        "an2k_xml.toml for where the elements go"
    )
    return f"element {m.short(tag)} has no place in {where}", hint


class _RecordReader:
    def __init__(self, m: Mapping, spec: RecordSpec, el: ET.Element, index: int) -> None:
        self.m, self.spec, self.el, self.index = m, spec, el, index
        self.consumed: set[int] = set()
        self.where = f"{m.short(m.root)}/{m.short(el.tag)}[{index}]"

    def fail(
        self, problem: str, path: Path_ = (), fld: int | None = None, hint: str = _HINT
    ) -> NistFormatError:
        at = f"{self.where}/{self.m.prefixed(path)}" if path else self.where
        return NistFormatError(
            f"{problem} (at {at})",
            record=self.index,
            record_type=self.spec.type,
            field=f"{self.spec.type}.{fld:03d}" if fld is not None else None,
            hint=hint,
        )

    # navigation: containers are the first child with the tag; leaves are read once
    def find(self, base: ET.Element, path: Path_) -> ET.Element | None:
        for tag in path:
            found = base.find(tag)
            if found is None:
                return None
            base = found
        return base

    def fresh(self, base: ET.Element, path: Path_, shared: bool = False) -> list[ET.Element]:
        holder = self.find(base, path[:-1])
        if holder is None:
            return []
        return [c for c in holder if c.tag == path[-1] and (shared or id(c) not in self.consumed)]

    def leaf(self, base: ET.Element, path: Path_) -> str | None:
        found = self.fresh(base, path)
        if not found:
            return None
        self.consumed.add(id(found[0]))
        return found[0].text or ""

    def items(self, base: ET.Element, specs: tuple[ItemSpec, ...]) -> list[str] | None:
        values: dict[int, str] = {}
        parts: dict[int, dict[int, str]] = {}
        for spec in specs:
            if spec.start:
                for k, holder in enumerate(self.fresh(base, spec.each)):
                    self.consumed.add(id(holder))
                    i = spec.start + k * (1 if spec.sep is not None else spec.step)
                    if spec.sep is not None:
                        pieces = [self.leaf(holder, p) for p in spec.parts]
                        values[i] = spec.sep.join(p for p in pieces if p is not None)
                    elif spec.parts:
                        for j, p in enumerate(spec.parts):
                            text = self.leaf(holder, p)
                            if text is not None:
                                values[i + j] = text
                    else:
                        values[i] = holder.text or ""
                continue
            text = self.leaf(base, spec.at)
            if text is None:
                continue
            if spec.split:
                parts.setdefault(spec.item, {})[spec.part] = text
            else:
                values[spec.item] = text
        for item, cut in parts.items():
            values[item] = "".join(cut[k] for k in sorted(cut))
        if not values:
            return None
        return [values.get(i, "") for i in range(1, max(values) + 1)]

    def format_in(self, spec: FieldSpec, text: str, path: Path_) -> str:
        if spec.format == "date":
            m = _DATE.match(text)
            if m is None:
                raise self.fail(f"date {text[:40]!r} is not YYYY-MM-DD", path, spec.number)
            return "".join(m.groups())
        if spec.format == "datetime":
            m = _DATETIME.match(text)
            if m is None:
                raise self.fail(
                    f"date and time {text[:40]!r} is not YYYY-MM-DDThh:mm:ssZ (UTC)",
                    path,
                    spec.number,
                )
            return "".join(m.groups()) + "Z"
        if spec.truth is not None:
            if text in ("true", "1"):
                return spec.truth[0]
            if text in ("false", "0"):
                return spec.truth[1]
            raise self.fail(f"{text[:40]!r} is not an xsd:boolean", path, spec.number)
        return text

    def decode64(self, text: str, path: Path_, number: int) -> bytes:
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self.fail(
                "nc:BinaryBase64Object is not valid base64",
                path,
                number,
                hint="the image or data block is damaged: ask the sender to resend it",
            ) from None

    def read_field(self, spec: FieldSpec) -> Field | None:
        tag = f"{self.spec.type}.{spec.number:03d}"
        if spec.each is None and spec.items is None:
            text = self.leaf(self.el, spec.path)
            if text is None:
                return None
            if spec.binary:
                return Field(tag, self.decode64(text, spec.path, spec.number), binary=True)
            return Field(tag, self.format_in(spec, text, spec.path).encode("utf-8"))
        base = self.find(self.el, spec.path)
        if base is None:
            return None
        if spec.each is None:
            got = self.items(base, spec.items or ())
            return None if got is None else Field.from_items(tag, [got])
        first = self.items(base, spec.first) if spec.first is not None else None
        subs: list[list[str]] = []
        for holder in self.fresh(base, spec.each, spec.shared):
            if spec.items is not None:
                got = self.items(holder, spec.items)
                if got is None:
                    if spec.shared:
                        continue
                    got = [""]
                self.consumed.add(id(holder))
                subs.append(got)
            else:
                self.consumed.add(id(holder))
                subs.append([self.format_in(spec, holder.text or "", spec.path + spec.each)])
        if spec.first is not None and (first is not None or subs):
            subs.insert(0, first or [""])
        if not subs:
            return None
        return Field.from_items(tag, subs)

    def domain_fields(self) -> list[Field]:
        holder = self.find(self.el, self.spec.domain)
        if holder is None:
            return []
        gr = self.m.namespaces["gr"]
        b64 = _clark("nc:BinaryBase64Object", self.m.namespaces)
        out = []
        for n, child in enumerate(holder, start=1):
            path = self.spec.domain + (child.tag,)
            if child.tag != f"{{{gr}}}Field":
                raise self.unknown(path)
            number_el = child.find(f"{{{gr}}}FieldNumber")
            number = (number_el.text or "").strip() if number_el is not None else ""
            if not re.fullmatch("[0-9]{1,9}", number):
                raise self.fail(f"domain-defined field {n} has no gr:FieldNumber", path)
            num = int(number)
            tag = f"{self.spec.type}.{num:03d}"
            subs: list[list[str]] = []
            data: bytes | None = None
            for part in child:
                if part.tag == f"{{{gr}}}Subfield":
                    subs.append([])
                    for item in part:
                        if item.tag != f"{{{gr}}}Item":
                            raise self.unknown(path + (part.tag, item.tag))
                        subs[-1].append(item.text or "")
                    if not subs[-1]:
                        subs[-1].append("")
                elif part.tag == b64:
                    data = self.decode64(part.text or "", path + (b64,), num)
                elif part.tag != f"{{{gr}}}FieldNumber":
                    raise self.unknown(path + (part.tag,))
            if data is not None:
                out.append(Field(tag, data, binary=num == DATA_FIELD and self.spec.type > 2))
            else:
                out.append(Field.from_items(tag, subs or [[""]]))
        return out

    def unknown(self, path: Path_) -> NistFormatError:
        problem, hint = _unknown_element(self.m, path[-1], f"the type-{self.spec.type} mapping")
        return self.fail(problem, path, hint=hint)

    def check_all_read(self) -> None:
        domain = self.spec.domain
        known_top = {_clark("ansi-nist:RecordCategoryCode", self.m.namespaces)}

        def walk(el: ET.Element, path: Path_) -> None:
            for child in el:
                p = path + (child.tag,)
                if p == domain:
                    continue
                if len(p) == 1 and child.tag in known_top:
                    continue
                if p not in self.spec.leaves and p not in self.spec.containers:
                    if domain[: len(p)] == p:
                        walk(child, p)
                        continue
                    raise self.unknown(p)
                if p in self.spec.leaves and len(child) == 0 and id(child) not in self.consumed:
                    raise self.fail(
                        f"element {self.m.short(child.tag)} appears more often than its field "
                        "allows (one value expected)",
                        p,
                    )
                walk(child, p)

        walk(self.el, ())

    def read(self) -> Record:
        code = self.leaf(self.el, (_clark("ansi-nist:RecordCategoryCode", self.m.namespaces),))
        if code is not None and (
            not re.fullmatch("[0-9]{1,3}", code.strip()) or int(code) != self.spec.type
        ):
            raise self.fail(
                f"ansi-nist:RecordCategoryCode {code[:10]!r} does not match the record element "
                f"{self.m.short(self.el.tag)} (type {self.spec.type})"
            )
        fields: list[Field] = []
        for fs in self.spec.read_specs:
            f = self.read_field(fs)
            if f is not None:
                fields.append(f)
        fields += self.domain_fields()
        self.check_all_read()
        present = {f.number for f in fields}
        missing = [n for n in self.spec.required if n not in present]
        if missing:
            names = ", ".join(f"{self.spec.type}.{n:03d}" for n in missing)
            raise self.fail(
                f"required field(s) {names} missing",
                fld=missing[0],
                hint="the sender's XML lacks elements this record type must have; ask for a "
                "complete transaction",
            )
        fields.sort(key=lambda f: f.number)
        t = self.spec.type
        if self.spec.layout is not None:
            return self.to_binary(fields, self.spec.layout)
        record = TaggedRecord(t, [Field(f"{t}.001", b"0"), *fields])
        if t != 1:
            idc = record[2].value
            if not idc.isdigit():
                raise self.fail(f"IDC {idc[:20]!r} is not a number", fld=2)
        elif not all(f.value.isascii() for f in fields):
            bad = next(f for f in fields if not f.value.isascii())
            raise self.fail("type-1 values must be 7-bit ASCII", fld=bad.number)
        record.to_bytes()  # brings LEN up to date
        return record

    def to_binary(self, fields: list[Field], layout: Layout) -> BinaryRecord:
        t = self.spec.type
        by_number = {f.number: f for f in fields}
        header = bytearray()
        for number, size, count, _digits in layout.fields:
            f = by_number.get(number)
            values = [] if f is None else [sub[0] for sub in f.subfields]
            if number == 4 and count > 1:
                values += [b"255"] * (count - len(values))
            if len(values) != count or not all(v.isdigit() for v in values):
                raise self.fail(
                    f"field {t}.{number:03d} needs {count} number(s), not "
                    f"{b' '.join(values)[:40]!r}",
                    fld=number,
                )
            for v in values:
                if int(v) >= 256**size:
                    raise self.fail(f"{int(v)} does not fit in {size} byte(s)", fld=number)
                header += int(v).to_bytes(size, "big")
        data_field = by_number.get(layout.data)
        if data_field is None:
            data = b""
        elif data_field.binary:
            data = data_field.value
        else:  # type-8 vectors
            vectors = bytearray()
            for sub in data_field.subfields:
                if len(sub) != 3 or not all(v.isdigit() for v in sub):
                    raise self.fail("a signature vector needs X, Y and pen pressure", fld=8)
                x, y, p = (int(v) for v in sub)
                if x > 0xFFFF or y > 0xFFFF or p > 0xFF:
                    raise self.fail("a signature vector value is out of range", fld=8)
                vectors += x.to_bytes(2, "big") + y.to_bytes(2, "big") + bytes([p])
            data = bytes(vectors)
        assert len(header) == BINARY_HEADER_SIZE[t] - 4
        return BinaryRecord(t, bytes(header), bytes(data))


def looks_like_xml(data: bytes) -> bool:
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


def _parse(data: bytes, max_bytes: int) -> ET.Element:
    if len(data) > max_bytes:
        raise NistFormatError(
            f"XML transaction of {len(data)} bytes is over the {max_bytes}-byte limit",
            hint="raise max_bytes if a transaction this large is expected",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NistFormatError(
            f"the XML is not UTF-8 (byte {exc.start} cannot be decoded)",
            offset=exc.start,
            hint="ANSI/NIST-ITL XML transactions are exchanged in UTF-8; ask for that encoding",
        ) from None
    declared = _ENCODING_DECL.match(text.lstrip())
    if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "us-ascii"):
        raise NistFormatError(
            f"the XML declares encoding {declared.group(1)!r}",
            hint="ANSI/NIST-ITL XML transactions are exchanged in UTF-8; ask for that encoding",
        )
    for construct in ("<!DOCTYPE", "<!ENTITY"):
        at = text.find(construct)
        if at >= 0:
            line = text.count("\n", 0, at) + 1
            raise NistFormatError(
                f"the XML uses {construct} at line {line}: document type declarations and "
                "entities are refused in transactions from other systems",
                hint="the 2-2008 XML encoding needs neither; ask the sender to remove them",
            )
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise NistFormatError(
            f"malformed XML at line {line}, column {column}: {exc}",
            hint="the file is not well-formed XML (cut short, or not XML at all)",
        ) from None


def read_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Transaction:
    """Read an ANSI/NIST-ITL 2-2008 XML transaction (NIEM 2.0) into a `Transaction`."""
    m = mapping()
    root = _parse(bytes(data), max_bytes)
    if root.tag != m.root:
        uri = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        if uri != m.namespaces["itl"]:
            raise NistFormatError(
                f"the root element {m.short(root.tag)} is in namespace {uri or '(none)'!r}, "
                f"not the 2-2008 package namespace {m.namespaces['itl']!r}",
                hint="Granica reads the ANSI/NIST-ITL 2-2008 NIEM 2.0 XML encoding (as NIST "
                "NBIS an2kconvert writes it); 1-2011/2013 NIEM 3 XML is not supported yet",
            )
        raise NistFormatError(
            f"the root element is {m.short(root.tag)}, not {m.short(m.root)}", hint=_HINT
        )
    records: list[Record] = []
    for index, child in enumerate(root, start=1):
        spec = m.by_element.get(child.tag)
        if spec is None:
            problem, hint = _unknown_element(m, child.tag, "the package (no record type has it)")
            at = f"{m.short(m.root)}/{m.short(child.tag)}[{index}]"
            raise NistFormatError(f"{problem} (at {at})", record=index, hint=hint)
        records.append(_RecordReader(m, spec, child, index).read())
    if not records or records[0].type != 1:
        raise NistFormatError(
            "the package does not start with itl:PackageInformationRecord (type 1)", hint=_HINT
        )
    if any(r.type == 1 for r in records[1:]):
        raise NistFormatError("the package has more than one type-1 record", hint=_HINT)
    return Transaction(records)
