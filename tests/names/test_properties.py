"""Properties that hold for every input (hypothesis), and defined behaviour on
bad input: an EmptyNameError when there is nothing to compare, a score otherwise,
and no other exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from granica.errors import EmptyNameError, GranicaError
from granica.names import blocking_keys, compare, prepare, to_latin, to_serbian_cyrillic

# Names drawn from the scripts a border register sees, with separators, MRZ
# fillers, digits and the odd symbol.
ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    + list("ĐđŠšČčĆćŽžÄäÖöÜüßØøÅåÑñ")
    + list("АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШабвгдђежзијклљмнњопрстћуфхцчџшЙЩЪЫЬЭЮЯйщъыьэюяЄІЇҐєіїґ")
    + list("ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآپچژکگی")
    + list("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρστυφχψωάέήίόύώ")
    + list("     -'.,<<0123456789")
    + ["\u200d", "\u202e", "\t", "\n", "\x00", "😀", "普", "京", "ー"]
)
NAMES = st.text(alphabet=ALPHABET, min_size=0, max_size=40)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _score(a: str, b: str) -> float | None:
    try:
        return compare(a, b).score
    except EmptyNameError:
        return None


@SETTINGS
@given(NAMES, NAMES)
def test_compare_is_symmetric_and_in_unit_interval(a: str, b: str) -> None:
    ab, ba = _score(a, b), _score(b, a)
    assert ab == ba
    if ab is not None:
        assert 0.0 <= ab <= 1.0


@SETTINGS
@given(NAMES)
def test_a_name_matches_itself(a: str) -> None:
    try:
        result = compare(a, a)
    except EmptyNameError:
        return
    assert result.score == pytest.approx(1.0)
    assert result.match


@SETTINGS
@given(NAMES)
def test_only_domain_errors_escape_and_keys_are_short(a: str) -> None:
    try:
        keys = blocking_keys(a)
    except EmptyNameError:
        return
    assert 1 <= len(keys) <= 12
    assert all(0 < len(k) <= 40 for k in keys)
    to_latin(a)
    to_serbian_cyrillic(a)


@pytest.mark.parametrize(
    "name", ["", "   ", "\t\n", "...", "-- ,, ''", "<<<<", "\u200d\u200d", "!?()"]
)
def test_nothing_to_compare_raises_empty_name_error(name: str) -> None:
    with pytest.raises(EmptyNameError):
        compare(name, "Marko Marković")
    with pytest.raises(EmptyNameError):
        prepare(name)
    assert issubclass(EmptyNameError, GranicaError)


def test_non_strings_are_refused_with_a_domain_error() -> None:
    with pytest.raises(EmptyNameError):
        prepare(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Marko\x00 Marković", "Marko Marković"),  # control character
        ("Marko\u200d Marković", "Marko Marković"),  # zero-width joiner
        ("Марко Marković", "Marko Marković"),  # mixed scripts
        ("Markoвић", "Marković"),  # mixed scripts in one token
        ("Marko Marković 2", "Marko Marković"),  # digits
        ("I9or Sech1n", "Igor Sechin"),  # digits for look-alike letters
        ("Marko 😀 Marković", "Marko Marković"),  # emoji
        ("普京", "Putin"),  # a script without a table
    ],
)
def test_odd_input_gets_a_score(a: str, b: str) -> None:
    result = compare(a, b)
    assert 0.0 <= result.score <= 1.0


def test_odd_input_that_is_still_the_name_matches() -> None:
    assert compare("Marko\x00 Marković", "Marko Marković").match
    assert compare("Marko\u200d Marković", "Marko Marković").match
    assert compare("Markoвић", "Marković").match
    assert compare("I9or Sech1n", "Igor Sechin").match


def test_ten_thousand_characters() -> None:
    long_token = "a" * 10_000
    long_name = " ".join(["Marko", "Marković"] * 2_500)
    for name in (long_token, long_name, "Ђ" * 10_000):
        result = compare(name, "Marko Marković")
        assert 0.0 <= result.score <= 1.0
    assert compare(long_name, long_name).score == pytest.approx(1.0)
    assert any(r["how"] == "too_many_parts" for r in compare(long_name, "Marko").reasons)


def test_digits_only_is_a_name_of_numbers() -> None:
    assert compare("12345", "12345").score == 1.0
    assert not compare("12345", "54321").match
