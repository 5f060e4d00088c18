"""What a border guard notices: the same person found across scripts, MRZ
spellings, name order and romanisations, and relatives not taken for each other."""

from __future__ import annotations

import json

import pytest

from granica.names import (
    DEFAULT_THRESHOLD,
    compare,
    compare_prepared,
    mrz_name,
    prepare,
)

SERBIAN_FORMS = [
    "Ђорђе Јовановић",
    "Đorđe Jovanović",
    "Djordje Jovanovic",
    "Dorde Jovanovic",
    "JOVANOVIC<<DJORDJE",
    "JOVANOVIC<<DORDE",
    "Јовановић, Ђорђе",
    "JOVANOVIĆ Đorđe",
]


@pytest.mark.parametrize("a", SERBIAN_FORMS)
@pytest.mark.parametrize("b", SERBIAN_FORMS)
def test_serbian_cyrillic_latin_and_mrz_forms_match_strongly(a: str, b: str) -> None:
    result = compare(a, b)
    assert result.score > 0.9, result.reasons
    assert result.match


def test_mrz_spelling_explains_itself_as_transliteration() -> None:
    result = compare("Ђорђе Јовановић", "JOVANOVIC<<DORDE")
    hows = {(r.get("a"), r.get("b")): r["how"] for r in result.reasons}
    assert hows[("Ђорђе", "DORDE")] == "transliteration"
    assert hows[("Јовановић", "JOVANOVIC")] == "transliteration"


def test_other_serbian_digraphs_and_carons() -> None:
    assert compare("Љубиша Њежић", "NJEZIC<<LJUBISA").score > 0.9
    assert compare("Џевад Шешељ", "Dzevad Seselj").score > 0.9
    assert compare("Ћосић Милош", "Milos Cosic").score > 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hans Friedrich", "Friedrich Hans"),
        ("Vladimir Vladimirovich Putin", "Putin Vladimir Vladimirovich"),
        ("Vladimir Vladimirovich Putin", "ПУТИН Владимир Владимирович"),
        ("Anna Maria Eriksson", "ERIKSSON, Anna Maria"),
        ("UMAR MAHMUD IRHAYYIM AL-KUBAYSI", "MAHMUD IRHAYYIM AL-KUBAYSI, UMAR"),
        ("Kim Jong Un", "Jong Un Kim"),
    ],
)
def test_swapped_name_order_is_tolerated(a: str, b: str) -> None:
    assert compare(a, b).score > 0.9


def test_mrz_truncation() -> None:
    # TD1 names are cut at 30 characters; the last given name may be a prefix.
    full = "Aleksandra Katarina Radosavljević-Stojanović"
    field = mrz_name("Radosavljević-Stojanović", "Aleksandra Katarina", length=30)
    assert not field.endswith("<")
    assert compare(full, field).match
    assert compare("Anna Maria Eriksson", "ERIKSSON<<ANNA<MAR").score > 0.9
    assert compare("Anna Maria Eriksson", "ERIKSSON<<ANNA<M").match


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ludwig van Beethoven", "Ludwig Beethoven"),
        ("Maria de la Cruz", "Maria Cruz"),
        ("Tahir Jalil Habbush al-Tikriti", "Tahir Jalil Habbush Tikriti"),
        ("Abd al-Rahman", "Abdulrahman"),
        ("Abdurrahman", "Abd Al-Rahman"),
        ("Salah al-Din", "Salahuddin"),
        ("Hidayatullah", "Hidayat Allah"),
    ],
)
def test_particles_and_compounds(a: str, b: str) -> None:
    assert compare(a, b).score > 0.85


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohammed Yusuf", "Muhammad Youssef"),
        ("Mohamad Yousef", "Muhammed Yusuf"),
        ("Abou Bakr", "Abu Bakr"),
        ("Hussein Hassan", "Husayn Hasan"),
        ("Khaled Saeed", "Khalid Said"),
        ("IBRAHIM MOHAMED KHALIL", "ابراهيم محمد خليل"),
        ("ABDUL SALAM HANAFI ALI MARDAN QUL", "عبدالسلام حنفی علی مردان قل"),
        ("NAYIF SALIH SALIM AL-QAYSI", "نايف صالح سالم القيسي"),
    ],
)
def test_arabic_romanisation_variants(a: str, b: str) -> None:
    assert compare(a, b).score > 0.85


def test_hussein_is_not_hassan() -> None:
    assert compare("Hussein", "Hassan").score < DEFAULT_THRESHOLD


def test_unmatched_given_names_cost() -> None:
    result = compare("Qusay Saddam Hussein al-Tikriti", "Saddam Hussein al-Tikriti")
    assert not result.match
    assert {"a": "Qusay", "how": "first_given_name_unmatched"} in result.reasons
    # Siblings: same father and family, different first names.
    assert not compare("Ali Saddam Hussein al-Tikriti", "Hala Saddam Hussein al-Tikriti").match
    # A different father (patronymic) is a different person.
    assert not compare("Sergey Ivanovich Lavrov", "Sergey Viktorovich Lavrov").match
    # A dropped middle name is not.
    assert compare("Khalid Abd al-Rahman Hamd al-Fawaz", "Khaled al-Fawwaz").score > 0.6


def test_father_and_son_around_bin_are_different() -> None:
    assert not compare("Salman bin Muhammad al-Rawi", "Muhammad bin Salman al-Rawi").match
    assert compare("Salman bin Muhammad al-Rawi", "Salman bin Muhammad Alrawi").match


def test_family_name_after_the_bin_chain_may_come_first() -> None:
    full = "KAMAL BEN MAOELDI BEN HASSAN AL-HAMRAOUI"
    assert compare(full, "Hamraoui Kamel").match
    assert compare("Hamraoui Kamel", full).match
    assert compare("NOUREDDINE BEN ALI BEN BELKASSEM AL-DRISSI", "Drissi Noureddine").match
    # The chain's last name is a father, not a family name: no rotation.
    assert not compare("Muhammad bin Salman", "Salman Muhammad").match


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CHANG CHANG HA", "Jang Chang Ha"),
        ("JANG BOM SU", "Jang Pom Su"),
        ("RI JE-SON", "Ri Che-son"),
        ("HAN JANG SU", "Chang-Su Han"),
        ("CHU HYO'K", "Ju Hyok"),
        ("JO CHOL SONG", "Cho Ch'o'l-so'ng"),
    ],
)
def test_korean_romanisations_meet(a: str, b: str) -> None:
    assert compare(a, b).match


def test_korean_syllables_keep_their_order_and_other_names_do_not_change() -> None:
    assert not compare("JO YONG CHOL", "JO CHOL SONG").match
    assert not compare("Kim Yong-chol", "Kim Yong-chun").match
    # Only names that read as Korean: Pol Pot is not Bol Bot.
    assert not compare("Tom Pot", "Dom Bot").match


def test_tha_read_as_s() -> None:
    assert compare("MUTHANNA HARITH AL-DARI", "Muthana Haris al-Dari").match


def test_initials_and_patronymics() -> None:
    assert compare("Vladimir Vladimirovich Putin", "V. V. Putin").match
    assert compare("Vladimir Vladimirovich Putin", "Władimir Władimirowicz Putin").match
    assert not compare("N. N.", "Nursultan Nazarbayev").match


def test_honorifics_are_ignored_and_reported() -> None:
    result = compare("Sheikh Dr. Ahmed Yassin", "Ahmed Yassin")
    assert result.score == 1.0
    assert {"a": "Sheikh", "how": "ignored"} in result.reasons


def test_names_run_together_and_alternatives() -> None:
    assert compare("Ramimakhlouf", "Rami Makhlouf").match
    assert compare("SergeiLavrov", "Sergei Lavrov").match
    assert compare(
        "MALIK NOORZAI", "حاجى مالك نورزى (Hajji Malik Noorzai; Haji Malek Noorzai)"
    ).match


def test_prepared_names_compare_like_strings() -> None:
    probe = prepare("JOVANOVIC<<DJORDJE")
    for name in SERBIAN_FORMS:
        assert (
            compare_prepared(probe, prepare(name)).score
            == compare("JOVANOVIC<<DJORDJE", name).score
        )


def test_result_is_json_serialisable() -> None:
    result = compare("Ђорђе Јовановић", "JOVANOVIC<<DORDE").to_dict()
    assert set(result) == {"a", "b", "score", "match", "threshold", "reasons"}
    json.dumps(result)
    assert all(isinstance(r, dict) and "how" in r for r in result["reasons"])
