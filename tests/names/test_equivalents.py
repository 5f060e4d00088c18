"""One given name in several languages (Jovan, Ivan, Johann, Juan) matches as an
equivalent, by a table with its source; brothers and sisters still do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from granica.errors import ValidationError
from granica.names import DEFAULT_THRESHOLD, NameIndex, compare
from granica.names.equivalents import TABLE, read_table

EQUIVALENT_PAIRS = [
    ("Iosif Kobzon", "Joseph Kobzon"),
    ("Jovan Petrović", "Ivan Petrović"),
    ("Јован Петровић", "Ivan Petrovic"),
    ("Josip Horvat", "Józef Horvat"),
    ("Johann Weber", "Juan Weber"),
    ("Aleksandar Marković", "Oleksandr Marković"),
    ("Sándor Kovács", "Alessandro Kovacs"),
    ("Pyotr Ilyich Tchaikovsky", "Pierre Tchaikovsky"),
]


@pytest.mark.parametrize(("a", "b"), EQUIVALENT_PAIRS)
def test_one_name_in_two_languages_matches_as_an_equivalent(a: str, b: str) -> None:
    result = compare(a, b)
    assert result.match, (result.score, result.reasons)
    assert result.score >= DEFAULT_THRESHOLD
    hows = {r["how"] for r in result.reasons}
    assert "equivalent_name" in hows, result.reasons
    assert "first_given_name_unmatched" not in hows


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hans Muller", "Franz Muller"),
        ("Ali Saddam Hussein", "Hala Saddam Hussein"),
        ("Jovan Petrović", "Marko Petrović"),
    ],
)
def test_brothers_and_sisters_are_still_told_apart(a: str, b: str) -> None:
    result = compare(a, b)
    assert not result.match
    assert result.score < 0.1, result.reasons


def test_a_close_spelling_is_stronger_evidence_than_the_table() -> None:
    # Both on the table's Alexander line, but one letter apart: the spelling says more.
    result = compare("Aleksandar Petrović", "Aleksander Petrović")
    first = next(r for r in result.reasons if r.get("a") == "Aleksandar")
    assert first["how"] != "equivalent_name"
    assert first["score"] > 0.88 or first["how"] in {"romanisation", "phonetic"}


def test_a_person_search_finds_the_name_in_another_language() -> None:
    index = NameIndex()
    index.add("alert-ivan", ["Ivan Petrović"])
    index.add("alert-marko", ["Marko Petrović"])
    index.add("alert-other", ["Jovana Nikolić"])
    found = index.search("Jovan Petrović", limit=5)
    assert found and found[0].record_id == "alert-ivan"
    assert found[0].match
    assert all(c.record_id != "alert-marko" or not c.match for c in found)


def test_the_table_gives_a_source_for_every_name() -> None:
    names = read_table()
    assert len(names) >= 80
    for name in names:
        assert name.source.strip() and name.source == name.source.strip(), name
        assert len(name.forms) >= 2
    # The names are on it, each with its forms on one line.
    lines = {form.lower(): name.line for name in names for form in name.forms}
    assert lines["iosif"] == lines["joseph"] == lines["josip"] == lines["józef"]
    assert lines["jovan"] == lines["ivan"] == lines["johann"] == lines["juan"]
    assert lines["aleksandar"] == lines["alexander"] == lines["oleksandr"]
    assert TABLE.name == "given_name_equivalents.txt"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("Joseph (given name), English Wikipedia Joseph Josip\n", "line 1"),
        ("# a comment\n\n | Joseph Josip\n", "line 3"),
        ("Joseph (given name), English Wikipedia | Joseph\n", "at least two forms"),
    ],
)
def test_a_malformed_table_line_is_named(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "given_name_equivalents.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_table(path)
    assert named in caught.value.message
    assert "given_name_equivalents.txt" in caught.value.message


def test_abugida_words_stay_whole_and_are_romanised() -> None:
    # Vowel signs and viramas used to split व्लादिमीर into single letters.
    result = compare("व्लादिमीर पुतिन", "Vladimir Putin")
    assert result.match, result.reasons
    assert not any(r["how"] == "unmatched" for r in result.reasons), result.reasons


def test_han_names_are_not_matched_by_a_colliding_romanisation() -> None:
    # 高石 and 高市 are both "gaoshi" in pinyin: two people.
    assert not compare("高石早苗", "高市早苗").match
