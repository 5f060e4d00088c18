"""Ten-prints built from FVC images: both shipped profiles accept them, and they read back."""

from __future__ import annotations

import numpy as np
import pytest

from granica.biometrics.formats import (
    build_transaction,
    load_profile,
    read_tenprint,
    read_transaction,
    tenprint_from_images,
    validate,
)
from granica.biometrics.formats.an2k import TaggedRecord
from granica.biometrics.formats.images import encode_image
from granica.biometrics.formats.profile import shipped_profiles
from granica.errors import NotFoundError
from tests.formats.conftest import EURODAC_TYPE2, header


@pytest.fixture(scope="module")
def tenprint(fvc_images):  # type: ignore[no-untyped-def]
    face = np.tile(np.linspace(0, 255, 600, dtype=np.uint8), (800, 1))
    return tenprint_from_images(
        fvc_images, header(), descriptive=EURODAC_TYPE2, faces=[(encode_image(face, "PNG"), "PNG")]
    )


@pytest.mark.acceptance
def test_fvc_tenprint_passes_both_profiles_and_reads_back_identical(tenprint) -> None:  # type: ignore[no-untyped-def]
    data = build_transaction(tenprint).to_bytes()
    again = read_transaction(data)
    assert read_tenprint(again) == tenprint
    assert again.to_bytes() == data
    assert shipped_profiles() == ["eurodac", "national"]
    for name in shipped_profiles():
        assert validate(again, load_profile(name), size=len(data)) == [], name
    # the images decode to what went in, within WSQ's loss
    for finger in read_tenprint(again).fingers:
        pixels = finger.pixels()
        assert pixels.shape == (300, 300) and finger.compression == "WSQ20"
    assert [r.type for r in again.records] == [1, 2] + [14] * 10 + [10]


@pytest.mark.acceptance
def test_type4_tenprint_also_passes(fvc_images) -> None:  # type: ignore[no-untyped-def]
    tp = tenprint_from_images(fvc_images, header(), descriptive=EURODAC_TYPE2, record_type=4)
    tx = read_transaction(build_transaction(tp).to_bytes())
    assert [r.type for r in tx.records] == [1, 2] + [4] * 10
    assert read_tenprint(tx) == tp
    assert validate(tx, load_profile("eurodac")) == []


def test_validator_lists_every_deviation(tenprint) -> None:  # type: ignore[no-untyped-def]
    tx = build_transaction(tenprint)
    del tx.records[5]  # drop finger position 4
    t1 = tx.header
    t1.set(4, "XYZ")
    t1.set(5, "20261399")
    t2 = tx.records[1]
    assert isinstance(t2, TaggedRecord)
    t2.set(4, "1DE-not-a-reference")
    t2.remove(8)
    face = tx.records[-1]
    assert isinstance(face, TaggedRecord)
    face.set(6, "400")
    tx = read_transaction(tx.to_bytes())
    found = {(d.rule, d.field) for d in validate(tx, load_profile("eurodac"))}
    assert ("type1.tot", "1.004") in found
    assert ("type1.date", "1.005") in found
    assert ("type2.fields.4", "2.004") in found
    assert ("type2.fields.8", "2.008") in found
    assert ("fingers.required_positions", None) in found
    assert ("faces.min_size", "10.006") in found
    deviations = validate(tx, load_profile("eurodac"))
    law = [d for d in deviations if d.verified]
    # a missing finger breaks the law (Reg. 603/2013 Art. 9); the TOT rule is a placeholder
    assert any(d.rule == "fingers.required_positions" for d in law)
    assert not any(d.rule == "type1.tot" for d in law)
    assert validate(tx, load_profile("national")) != []


def test_eurodac_profile_marks_what_the_law_does_not_fix() -> None:
    profile = load_profile("eurodac")
    unverified = set(profile.unverified())
    assert {
        "type1.tot",
        "type2.count",
        "fingers.compression",
        "limits.max_transaction_bytes",
        "faces.min_size",
    } <= unverified
    assert profile.rules["fingers.required_positions"].verified
    assert "603/2013" in profile.rules["fingers.required_positions"].source
    assert all(not f.verified for f in profile.type2_fields)  # field numbers are placeholders


def test_profiles_by_path_and_unknown_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "local.toml"
    path.write_text('name = "local"\n[type1.tot]\nvalue = ["ABC"]\nverified = true\nsource = "x"\n')
    assert load_profile(path).rules["type1.tot"].value == ["ABC"]
    with pytest.raises(NotFoundError):
        load_profile("no-such-profile")


@pytest.mark.acceptance
def test_ten_megabyte_transaction_parses(fvc_images) -> None:  # type: ignore[no-untyped-def]
    # 10 MB from uncompressed 300x300 prints (timing is printed by bench/nist_parse.py)
    images = {pos % 10 + 1: img for pos, img in enumerate(list(fvc_images.values()) * 12)}
    tp = tenprint_from_images(images, header(), descriptive=EURODAC_TYPE2, compression="NONE")
    big = build_transaction(tp)
    extra = [r for r in big.records if r.type == 14]
    while sum(len(r.to_bytes()) for r in big.records) < 10_000_000:
        big.records.extend(extra)
    for idc, record in enumerate(big.records[2:], start=1):
        assert isinstance(record, TaggedRecord)
        record.set(2, f"{idc:02d}")
    data = big.to_bytes()
    assert len(data) >= 10_000_000
    tx = read_transaction(data)
    assert len(tx) == len(big.records) and tx.to_bytes() == data


@pytest.mark.parametrize("compression", ["PNG", "JP2L", "JP2", "NONE"])
def test_png_and_jpeg2000_images_inside_type14_records(fvc_images, compression: str) -> None:  # type: ignore[no-untyped-def]
    images = {2: fvc_images[2], 7: fvc_images[7]}
    tp = tenprint_from_images(images, header(), compression=compression)
    tx = read_transaction(build_transaction(tp).to_bytes())
    back = read_tenprint(tx)
    assert [f.compression for f in back.fingers] == [compression] * 2
    for finger in back.fingers:
        pixels = finger.pixels()
        if compression == "JP2":
            from granica.biometrics.formats import psnr

            assert psnr(pixels, images[finger.position]) > 30
        else:  # lossless
            assert np.array_equal(pixels, images[finger.position])
    assert validate(tx, load_profile("national")) == []
    eurodac = {d.rule for d in validate(tx, load_profile("eurodac"))}
    assert "fingers.required_positions" in eurodac
    assert ("fingers.compression" in eurodac) == (compression != "WSQ20")
