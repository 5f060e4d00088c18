"""ANSI/NIST-ITL 2-2008 XML encoding: NBIS's reference file, round trips, bad input."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from granica.biometrics.formats import NistFormatError, read_transaction, read_xml, to_xml
from granica.biometrics.formats.an2k import BinaryRecord, Field, TaggedRecord, Transaction
from tests.conftest import shared_path
from tests.formats.conftest import reference_files, small_transaction

ITL = "http://biometrics.nist.gov/standard/2-2008"
AN = "http://niem.gov/niem/ansi-nist/2.0"
NC = "http://niem.gov/niem/niem-core/2.0"
REFERENCE_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 13, 13, 13, 14, 14, 14, 15, 16, 17, 99]


def reference_xml() -> Path:
    return shared_path(
        "formats", "ansi_nist", "nbis_an2kconvert_testdata", "All-Supported-Records-test-comp.xml"
    )


def comparable(tx: Transaction) -> list[tuple[object, ...]]:
    """Records field by field (LEN, whose value depends on the tag spelling, left out)."""
    out: list[tuple[object, ...]] = []
    for r in tx.records:
        if isinstance(r, BinaryRecord):
            out.append(("binary", r.type, r.header, r.data))
        else:
            fields = sorted((f for f in r.fields if f.number != 1), key=lambda f: f.number)
            out.append(("tagged", r.type, [(f.number, f.value, f.binary) for f in fields]))
    return out


def leaves(data: bytes) -> list[tuple[str, str]]:
    """(element path, text) of every leaf in document order; empty containers left out."""
    out: list[tuple[str, str]] = []

    def walk(el: ET.Element, path: str) -> None:
        for child in el:
            p = f"{path}/{child.tag}"
            if len(child):
                walk(child, p)
            elif child.tag not in (f"{{{ITL}}}UserDefinedDescriptiveText", f"{{{AN}}}RecordImage"):
                out.append((p, (child.text or "").strip()))

    walk(ET.fromstring(data), "")
    return out


def fails(data: bytes) -> NistFormatError:
    with pytest.raises(NistFormatError) as info:
        read_xml(data)
    return info.value


# --- NBIS an2kconvert's reference XML -------------------------------------------------------


@pytest.mark.acceptance
def test_reference_xml_reads_with_the_records_its_content_summary_lists() -> None:
    tx = read_xml(reference_xml().read_bytes())
    assert [r.type for r in tx.records] == REFERENCE_TYPES
    cnt = tx.header[3].items()
    assert cnt[0] == ["1", "22"] and len(tx.records) - 1 == 22
    assert [int(t) for t, _idc in cnt[1:]] == REFERENCE_TYPES[1:]
    assert tx.header.value(5) == "20070706" and tx.header.value(14) == "20051105052500Z"
    assert tx.header.value(2) == "0400" and tx.header.value(4) == "CAR"


@pytest.mark.acceptance
def test_reference_xml_images_decode_to_the_bytes_of_their_binary_objects() -> None:
    raw = reference_xml().read_bytes()
    tx = read_xml(raw)
    root = ET.fromstring(raw)
    objects = [base64.b64decode(el.text or "") for el in root.iter(f"{{{NC}}}BinaryBase64Object")]
    fingerprint = [r for r in tx.records if r.type == 14]
    assert len(fingerprint) == 3
    for record in fingerprint:
        assert isinstance(record, TaggedRecord)
        image = record[999]
        assert image.binary and len(image.value) == len(objects[-1]) == 114
        assert record.value(6) == "80" and record.value(7) == "65"  # HLL x VLL as declared
        assert record.value(11) == "JPEGB"
    # NBIS's file carries the same 114-byte placeholder in every record (it is no JPEG: no
    # FFD8 marker), so only its bytes and the declared dimensions can be checked
    assert not objects[-1].startswith(b"\xff\xd8")
    binary = [r for r in tx.records if isinstance(r, BinaryRecord)]
    assert [r.type for r in binary] == [3, 4, 5, 6, 7, 8, 8]
    t4 = binary[1]
    assert (t4.width, t4.height, t4.compression, t4.impression) == (80, 65, 1, 3)
    assert t4.finger_positions == [2, 3] and t4.data == objects[1]
    assert binary[4].data == b""  # the type-7 record carries no image in this file
    vector = binary[-1]
    assert vector.header[2] == 2 and vector.data == bytes([0, 0, 0, 0, 254, 0, 5, 0, 5, 1])


@pytest.mark.acceptance
def test_reference_xml_round_trips_through_the_model() -> None:
    raw = reference_xml().read_bytes()
    first = read_xml(raw)
    written = to_xml(first)
    again = read_xml(written)
    assert comparable(again) == comparable(first)
    assert leaves(written) == leaves(raw)
    assert to_xml(again) == written


def test_reference_xml_goes_through_the_traditional_encoding_and_back() -> None:
    first = read_xml(reference_xml().read_bytes())
    traditional = read_transaction(first.to_bytes())
    assert comparable(traditional) == comparable(first)


def test_read_transaction_dispatches_xml() -> None:
    path = reference_xml()
    assert [r.type for r in read_transaction(path).records] == REFERENCE_TYPES
    assert len(read_transaction(b"\xef\xbb\xbf" + path.read_bytes())) == len(REFERENCE_TYPES)


# --- every traditional reference transaction: traditional -> XML -> model -----------------


def traditional_files() -> list[Path]:
    return [p for p in reference_files() if p.suffix != ".xml"]


@pytest.mark.acceptance
def test_every_traditional_reference_transaction_survives_xml() -> None:
    files = traditional_files()
    assert len(files) >= 48
    for path in files:
        tx = read_transaction(path)
        back = read_xml(to_xml(tx))
        assert comparable(back) == comparable(tx), path.name
        assert read_transaction(back.to_bytes()).to_bytes() == back.to_bytes(), path.name


def test_standard_fields_get_their_niem_elements() -> None:
    path = shared_path("formats", "ansi_nist", "nist_reference_files", "type-14-amp-nqm-utf8.an2")
    root = ET.fromstring(to_xml(read_transaction(path)))
    images = root.findall(f"{{{ITL}}}PackageFingerprintImageRecord/{{{ITL}}}FingerprintImage")
    assert len(images) == 3
    assert any(im.findall(f"{{{ITL}}}FingerprintImageFingerMissing") for im in images)  # AMP
    assert all(im.findall(f"{{{AN}}}FingerprintImageNISTQuality") for im in images)  # NQM
    assert all(im.find(f"{{{AN}}}FingerPositionCode") is not None for im in images)  # FGP
    # nothing of the type-14 records needed the domain-defined fallback
    assert not [el for im in images for el in im.iter() if el.tag.startswith("{urn:granica")]


# --- without shared data ------------------------------------------------------------------


@pytest.mark.parametrize("record_type", [14, 4])
def test_small_transaction_round_trips(record_type: int) -> None:
    tx = small_transaction(fingers=2, record_type=record_type)
    back = read_xml(to_xml(tx))
    assert comparable(back) == comparable(tx)
    assert back.to_bytes() == tx.to_bytes()


def test_user_defined_type2_fields_are_kept() -> None:
    tx = small_transaction()
    t2 = tx.records[1]
    assert isinstance(t2, TaggedRecord)
    t2.set(35, [["A", "B"], ["C", ""]])
    t2.set(36, "Č and ž")
    raw = to_xml(tx)
    root = ET.fromstring(raw)
    text = root.find(f"{{{ITL}}}PackageDescriptiveTextRecord/{{{ITL}}}UserDefinedDescriptiveText")
    assert text is not None and len(text) == 4
    back = read_xml(raw).records[1]
    assert isinstance(back, TaggedRecord)
    assert back[35].value == b"A\x1fB\x1eC\x1f" and back.value(36) == "Č and ž"


def test_unmapped_record_type_is_refused_when_writing() -> None:
    tx = small_transaction()
    tx.records.append(TaggedRecord(18, [Field("18.001", b"0"), Field("18.002", b"03")]))
    with pytest.raises(NistFormatError, match="record type 18 has no ANSI/NIST-ITL 2-2008 XML"):
        to_xml(tx)


# --- bad input -----------------------------------------------------------------------------

GOOD = to_xml(small_transaction()).decode()


def test_the_base_xml_is_valid() -> None:
    assert comparable(read_xml(GOOD.encode())) == comparable(small_transaction())


def test_malformed_xml() -> None:
    err = fails(GOOD[: len(GOOD) // 2].encode())
    assert "malformed XML at line" in err.problem


def test_wrong_root_element() -> None:
    bad = GOOD.replace("NISTBiometricInformationExchangePackage", "Package")
    assert "the root element is itl:Package, not itl:NISTBiometric" in fails(bad.encode()).problem


def test_unknown_namespace_of_the_package() -> None:
    bad = GOOD.replace(ITL, "http://biometrics.nist.gov/standard/2011")
    err = fails(bad.encode())
    assert "not the 2-2008 package namespace" in err.problem and "NIEM 3" in err.message


def test_unknown_namespace_inside_a_record() -> None:
    bad = GOOD.replace(
        "<ansi-nist:ImageBitsPerPixelQuantity>",
        '<x:Depth xmlns:x="urn:vendor"/><ansi-nist:ImageBitsPerPixelQuantity>',
        1,
    )
    err = fails(bad.encode())
    assert "namespace 'urn:vendor'" in err.problem and err.record == 3
    assert "itl:PackageFingerprintImageRecord[3]/itl:FingerprintImage/{urn:vendor}Depth" in (
        err.problem
    )


def test_unknown_element_is_named_with_its_path() -> None:
    bad = GOOD.replace(
        "<ansi-nist:ImageBitsPerPixelQuantity>",
        "<ansi-nist:ImageBitDepth>8</ansi-nist:ImageBitDepth><ansi-nist:ImageBitsPerPixelQuantity>",
        1,
    )
    err = fails(bad.encode())
    assert "element ansi-nist:ImageBitDepth has no place in the type-14 mapping" in err.problem
    assert "itl:PackageFingerprintImageRecord[3]/itl:FingerprintImage/ansi-nist:ImageBitDepth" in (
        err.problem
    )


def test_repeated_single_value_element() -> None:
    bad = GOOD.replace(
        "<ansi-nist:TransactionPriorityValue>2</ansi-nist:TransactionPriorityValue>",
        "<ansi-nist:TransactionPriorityValue>2</ansi-nist:TransactionPriorityValue>"
        "<ansi-nist:TransactionPriorityValue>3</ansi-nist:TransactionPriorityValue>",
    )
    assert "appears more often than its field allows" in fails(bad.encode()).problem


def test_unknown_record_element() -> None:
    bad = GOOD.replace("PackageDescriptiveTextRecord", "PackageDescriptionRecord")
    err = fails(bad.encode())
    assert "itl:PackageDescriptionRecord has no place in the package" in err.problem
    assert err.record == 2


def test_missing_required_field() -> None:
    start = GOOD.index("<ansi-nist:TransactionControlIdentification>")
    end = GOOD.index("</ansi-nist:TransactionControlIdentification>") + len(
        "</ansi-nist:TransactionControlIdentification>"
    )
    err = fails((GOOD[:start] + GOOD[end:]).encode())
    assert "required field(s) 1.009 missing" in err.problem and err.field == "1.009"
    idc = GOOD.index("<ansi-nist:ImageReferenceIdentification>", GOOD.index("Fingerprint"))
    idc_end = GOOD.index("</ansi-nist:ImageReferenceIdentification>", idc) + len(
        "</ansi-nist:ImageReferenceIdentification>"
    )
    err = fails((GOOD[:idc] + GOOD[idc_end:]).encode())
    assert "required field(s) 14.002 missing" in err.problem and err.record == 3


def test_bad_base64() -> None:
    start = GOOD.index("<nc:BinaryBase64Object>") + len("<nc:BinaryBase64Object>")
    bad = GOOD[:start] + "!!not base64!!" + GOOD[start:]
    err = fails(bad.encode())
    assert "not valid base64" in err.problem and err.field == "14.999"


def test_bad_date() -> None:
    bad = GOOD.replace("<nc:Date>2026-11-27</nc:Date>", "<nc:Date>27.11.2026</nc:Date>", 1)
    err = fails(bad.encode())
    assert "'27.11.2026' is not YYYY-MM-DD" in err.problem and err.field == "1.005"


def test_record_category_that_does_not_match_its_element() -> None:
    bad = GOOD.replace(
        "<ansi-nist:RecordCategoryCode>14</ansi-nist:RecordCategoryCode>\n    <ansi-nist:Image",
        "<ansi-nist:RecordCategoryCode>13</ansi-nist:RecordCategoryCode>\n    <ansi-nist:Image",
        1,
    )
    assert "RecordCategoryCode '13' does not match" in fails(bad.encode()).problem


@pytest.mark.parametrize(
    ("insert", "construct"),
    [
        ('<!DOCTYPE lol [<!ENTITY lol "lol">]>', "<!DOCTYPE"),
        ('<!ENTITY x SYSTEM "file:///etc/passwd">', "<!ENTITY"),
    ],
)
def test_doctype_and_entities_are_refused(insert: str, construct: str) -> None:
    head, rest = GOOD.split("\n", 1)
    err = fails(f"{head}\n{insert}\n{rest}".encode())
    assert f"the XML uses {construct} at line 2" in err.problem
    assert "refused in transactions from other systems" in err.problem


def test_billion_laughs_is_refused_before_parsing() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
    )
    assert "<!DOCTYPE" in fails(bomb.encode()).problem


def test_oversized_input() -> None:
    with pytest.raises(NistFormatError, match="over the 1000-byte limit"):
        read_xml(GOOD.encode(), max_bytes=1000)


def test_other_encodings_are_refused() -> None:
    utf16 = GOOD.replace("encoding='utf-8'", "encoding='utf-16'").encode("utf-16")
    assert "not UTF-8" in fails(utf16).problem
    declared = GOOD.replace("encoding='utf-8'", "encoding='ISO-8859-1'").encode()
    assert "declares encoding 'ISO-8859-1'" in fails(declared).problem


def test_unmapped_values_are_kept_as_domain_defined_fields() -> None:
    tx = small_transaction()
    tx.header.set(5, "2026-11-27")  # not YYYYMMDD: the nc:Date element cannot hold it as is
    raw = to_xml(tx)
    assert b"<gr:FieldNumber>5</gr:FieldNumber>" in raw
    assert read_xml(raw).header.value(5) == "2026-11-27"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_xml(data: st.DataObject) -> None:
    raw = bytearray(GOOD.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if op == "flip":
            raw[pos] = data.draw(st.sampled_from(b"<>/=\"'&:x0 \n\x00\xff"))
        elif op == "delete":
            del raw[pos : pos + data.draw(st.integers(1, 30))]
        else:
            raw[pos:pos] = data.draw(st.sampled_from([b"<a>", b"</b>", b"&amp;", b"9", b"\xc3"]))
    try:
        read_xml(bytes(raw))
    except NistFormatError:
        pass
