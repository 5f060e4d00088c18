"""Names in MRZ form: ICAO transliteration with every variant used for matching."""

from __future__ import annotations

import pytest

from granica.documents.names import (
    mrz_name_variants,
    name_field,
    transliterate,
    transliteration_variants,
)
from granica.errors import EmptyNameError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ђорђевић", "DORDEVIC"),
        ("Đorđević", "DORDEVIC"),
        ("Љубица Њежић", "LJUBICA<NJEZIC"),
        ("Џаковић", "DZAKOVIC"),
        ("Müller-Lüdenscheidt", "MUELLER<LUEDENSCHEIDT"),
        ("O'Neill", "ONEILL"),
        ("Åsa Ørsted", "AASA<OERSTED"),
        ("Þór Straße", "THOR<STRASSE"),
        ("José Núñez", "JOSE<NUNEZ"),
    ],
)
def test_icao_recommended_spelling(name: str, expected: str) -> None:
    assert transliterate(name) == expected


def test_serbian_variants_cover_both_styles_of_passport() -> None:
    variants = transliteration_variants("Ђорђевић")
    assert {"DORDEVIC", "DJORDJEVIC", "DJORDJEVICH"} <= set(variants)
    assert set(transliteration_variants("Đorđević")) >= {"DORDEVIC", "DJORDJEVIC"}
    assert "ZHIVKOVIC" in transliteration_variants("Живковић")
    assert {"GORAN", "HORAN"} <= set(transliteration_variants("Горан"))  # ICAO erratum Г -> H
    assert {"MUELLER", "MULLER", "MUXXLLER"} <= set(transliteration_variants("Müller"))


def test_cyrillic_alert_matches_latin_mrz_name() -> None:
    assert "PETROVIC<<DJORDJE" in mrz_name_variants("Петровић", "Ђорђе")
    assert "PETROVIC<<DORDE" in mrz_name_variants("Petrović", "Đorđe")


def test_name_field_truncates_to_end_with_a_letter() -> None:
    text, truncated = name_field("Van Nieuwenhuizen", "Gerard Robbert Martijn", 39)
    assert truncated and len(text) == 39 and text[-1] != "<"
    text, truncated = name_field("Eriksson", "Anna Maria", 39)
    assert not truncated and text.startswith("ERIKSSON<<ANNA<MARIA<")


def test_names_without_letters_are_rejected() -> None:
    with pytest.raises(EmptyNameError):
        transliterate("1234 -- ?")
