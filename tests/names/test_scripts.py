"""Transliteration and script detection: Serbian both ways, ICAO MRZ folding,
the other Cyrillic alphabets, Greek and Arabic script."""

from __future__ import annotations

import json

import pytest

from granica.names import detect_script, mrz_name, to_latin, to_serbian_cyrillic
from granica.names.translit import ascii_variants, latin_readings, mrz_fold
from tests.conftest import shared_path


def _vectors() -> list[dict[str, str]]:
    path = shared_path("names", "translit_vectors.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("lang", ["sr", "me", "rs"])
def test_serbian_cyrillic_to_latin_follows_the_official_alphabet(lang: str) -> None:
    for vector in _vectors():
        if vector["lang"] == lang:
            assert to_latin(vector["cyrillic"]) == vector["latin"]


def test_serbian_latin_back_to_cyrillic_is_exact_for_the_alphabet() -> None:
    sr = next(v for v in _vectors() if v["lang"] == "sr")
    assert to_serbian_cyrillic(sr["latin"]) == sr["cyrillic"]


def test_serbian_names_both_ways() -> None:
    assert to_latin("Ђорђе Јовановић") == "Đorđe Jovanović"
    assert to_latin("ЉУБИША ЊЕГОШ") == "LJUBIŠA NJEGOŠ"
    assert to_latin("Џаја") == "Džaja"
    assert to_serbian_cyrillic("Đorđe Jovanović") == "Ђорђе Јовановић"
    assert to_serbian_cyrillic("Ljubiša Džaja") == "Љубиша Џаја"


def test_icao_mrz_folding_of_latin_diacritics() -> None:
    # domain.md section 5: Đ -> D (and DJ), Ä -> AE (and A), Ø -> OE ...
    assert ascii_variants("Đorđe") == ("djordje", "dorde")
    assert ascii_variants("Müller") == ("mueller", "muller")
    assert ascii_variants("Šešelj") == ("sheshelj", "seselj")
    assert mrz_fold("Đorđe") == "DORDE"
    assert mrz_fold("Ærø") == "AEROE"
    assert mrz_fold("Straße") == "STRASSE"


def test_mrz_name_form() -> None:
    assert mrz_name("Jovanović", "Đorđe") == "JOVANOVIC<<DORDE"
    assert mrz_name("Јовановић", "Ђорђе") == "JOVANOVIC<<DORDE"
    assert mrz_name("Eriksson", "Anna Maria") == "ERIKSSON<<ANNA<MARIA"
    assert mrz_name("O'Brien-Smith", "Seán") == "OBRIEN<SMITH<<SEAN"
    assert mrz_name("Eriksson", "Anna Maria", length=39) == "ERIKSSON<<ANNA<MARIA" + "<" * 19
    assert len(mrz_name("Eriksson", "Anna Maria", length=12)) <= 12


def test_other_cyrillic_alphabets_have_icao_and_national_readings() -> None:
    assert "mikhail" in latin_readings("Михаил")  # ICAO
    assert "mihail" in latin_readings("Михаил")  # Serbian reading of the same letters
    assert "zhukov" in {v for r in latin_readings("Жуков") for v in ascii_variants(r)}
    assert to_latin("Щукин") == "Shchukin"
    assert to_latin("Олександр") == "Oleksandr"


def test_greek_arabic_and_hebrew_have_readings() -> None:
    assert "vladimir" in latin_readings("Βλαντίμιρ")
    assert latin_readings("محمد")[0] == "mhmd"
    assert latin_readings("פוטין")[0] == "putin"


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Đorđe", "latin"),
        ("Ђорђе", "cyrillic"),
        ("محمد", "arabic"),
        ("Πούτιν", "greek"),
        ("普京", "cjk"),
        ("Putиn", "mixed"),
        ("123 !?", "none"),
        ("", "none"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script
