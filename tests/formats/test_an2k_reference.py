"""NIST, NBIS and libbiomeval reference transactions read, list and write back byte for byte."""

from __future__ import annotations

import pytest

from granica.biometrics.formats import read_transaction
from granica.biometrics.formats.an2k import BinaryRecord, TaggedRecord
from granica.cli.nist import _listing
from tests.conftest import shared_path
from tests.formats.conftest import reference_files

# The one reference file that is not a traditional-encoding transaction: the XML (NIEM) one,
# read by an2k_xml (tests/formats/test_an2k_xml.py checks it in detail).
NOT_TRADITIONAL = {"All-Supported-Records-test-comp.xml": "ANSI/NIST-ITL 2-2008 XML encoding"}


@pytest.mark.acceptance
def test_every_reference_transaction_round_trips_byte_identical() -> None:
    files = reference_files()
    assert len(files) >= 48
    checked = 0
    for path in files:
        data = path.read_bytes()
        if path.name in NOT_TRADITIONAL:
            assert len(read_transaction(data)) == 23  # read through the XML reader
            continue
        tx = read_transaction(data)
        assert tx.to_bytes() == data, path.name
        checked += 1
    assert checked == len(files) - len(NOT_TRADITIONAL)


@pytest.mark.acceptance
def test_reference_transactions_list_their_records_and_fields() -> None:
    path = shared_path("formats", "ansi_nist", "nist_reference_files", "type-9-10-14.an2")
    listing = _listing(path)
    assert [r["type"] for r in listing["records"]] == [1, 2, 9, 10, 14]
    header = {f["tag"]: f["value"] for f in listing["records"][0]["fields"]}
    assert header["1.004"] == [["AMN"]]
    assert header["1.003"][0] == ["1", "4"]
    face = listing["records"][3]
    image = [f for f in face["fields"] if f["tag"] == "10.999"][0]
    assert image["binary"]["bytes"] > 1000 and len(image["binary"]["sha256"]) == 64


def test_cnt_lists_the_records_that_were_read() -> None:
    for path in reference_files():
        if path.name in NOT_TRADITIONAL:
            continue
        tx = read_transaction(path)
        cnt = tx.header[3].subfields
        assert int(cnt[0][1]) == len(tx) - 1
        for record, (rtype, _idc) in zip(tx.records[1:], cnt[1:], strict=True):
            assert record.type == int(rtype)


def test_type4_tenprint_card_matches_the_extracted_wsq_files() -> None:
    tx = read_transaction(
        shared_path("formats", "ansi_nist", "nist_reference_files", "type-4-tpcard.an2")
    )
    wsq_dir = shared_path("formats", "wsq", "jnbis_nist_tenprint")
    type4 = [r for r in tx.records if isinstance(r, BinaryRecord)]
    assert len(type4) == 14
    extracted = {(wsq_dir / f"fp-{n}.wsq").read_bytes() for n in range(1, 15)}
    assert {r.data for r in type4} == extracted
    assert all(r.compression == 1 for r in type4)  # WSQ
    assert sorted(r.finger_positions[0] for r in type4) == list(range(1, 15))
    assert (type4[0].width, type4[0].height) == (804, 752)


def test_old_style_tags_and_foreign_tags_survive_the_round_trip() -> None:
    # valid1.1 writes "1.01:" (ANSI/NIST-ITL 1-2000 style); type9-13 has a 13.005 in a type-9
    old = read_transaction(
        shared_path("formats", "ansi_nist", "nbis_an2kconvert_testdata", "valid1.1.an2")
    )
    assert old.header.fields[0].tag == "1.01" and old.header.get(1) is not None
    odd = read_transaction(
        shared_path("formats", "ansi_nist", "libbiomeval_test_data", "type9-13.an2k")
    )
    assert any("13.005" in w for w in odd.warnings)
    assert isinstance(odd.records[2], TaggedRecord) and odd.records[2].type == 9


def test_modified_transaction_gets_new_len_and_cnt() -> None:
    path = shared_path("formats", "ansi_nist", "nist_reference_files", "type-4-slaps.an2")
    tx = read_transaction(path)
    t2 = tx.records[1]
    assert isinstance(t2, TaggedRecord)
    t2.set(3, "a much longer descriptive text than the placeholder that was there")
    del tx.records[-1]
    again = read_transaction(tx.to_bytes())
    assert again.records[1].get(3).text().startswith("a much longer")  # type: ignore[union-attr]
    assert int(again.header[3].subfields[0][1]) == len(again) - 1 == 4
    assert int(again.records[1][1].value) == len(again.records[1].to_bytes())  # type: ignore[union-attr]
