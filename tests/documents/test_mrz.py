"""MRZ parsing, validation, dates, warnings, corrections and generation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from granica.cli import app
from granica.documents import check_digit, generate_mrz, parse_mrz
from granica.documents.mrz import country_codes, resolve_birth_date, resolve_expiry_date
from granica.errors import ValidationError

TD3_SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
TODAY = dt.date(2026, 12, 6)  # the specimens' documents expired in 2012
TD1_SPECIMEN = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)


def test_check_digits_of_the_icao_examples() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("<<<<<<") == "0"


def test_specimen_parses_with_every_check() -> None:
    result = parse_mrz(TD3_SPECIMEN, today=dt.date(2026, 1, 1))
    assert result.valid and result.type == "TD3"
    assert result.checks == {
        "document_number": True,
        "birth_date": True,
        "expiry_date": True,
        "optional_data": True,
        "composite": True,
    }
    assert result.dates == {"birth_date": "1974-08-12", "expiry_date": "2012-04-15"}
    assert set(result.to_dict()) == {
        "type",
        "valid",
        "fields",
        "dates",
        "checks",
        "warnings",
        "corrections",
        "errors",
    }


def test_td1_has_no_optional_check() -> None:
    assert set(parse_mrz(TD1_SPECIMEN, today=TODAY).checks) == {
        "document_number",
        "birth_date",
        "expiry_date",
        "composite",
    }


def test_a_changed_digit_is_caught_by_its_check_digit() -> None:
    tampered = TD3_SPECIMEN.replace("7408122", "7408132")
    result = parse_mrz(tampered, today=dt.date(2026, 1, 1))
    assert not result.valid
    assert result.checks["birth_date"] is False
    assert result.checks["composite"] is False  # the composite covers the birth date too
    assert not result.corrections  # no OCR confusion can explain it


def test_expiry_warnings_follow_the_injected_clock() -> None:
    fields = parse_mrz(TD3_SPECIMEN, today=TODAY).fields
    mrz = generate_mrz("TD3", {**fields, "expiry_date": "270115"})
    assert "expires_soon" in parse_mrz(mrz, today=dt.date(2026, 11, 27)).warning_codes
    assert "expired" in parse_mrz(mrz, today=dt.date(2027, 2, 1)).warning_codes
    calm = parse_mrz(mrz, today=dt.date(2026, 6, 1)).warning_codes
    assert "expired" not in calm and "expires_soon" not in calm


def test_the_caller_says_what_day_it_is() -> None:
    """The library keeps no clock (a layer rule): today is an argument, never a default."""
    fields = parse_mrz(TD3_SPECIMEN, today=TODAY).fields
    mrz = generate_mrz(
        "TD3", {**fields, "issuing_state": "SRB", "nationality": "SRB", "expiry_date": "300101"}
    )
    assert "expired" in parse_mrz(mrz, today=dt.date(2031, 1, 1)).warning_codes
    assert parse_mrz(mrz, today=dt.date(2029, 1, 1)).warning_codes == []
    with pytest.raises(TypeError, match="today"):
        parse_mrz(mrz)  # type: ignore[call-arg]


def test_century_resolution() -> None:
    today = dt.date(2026, 11, 27)
    assert resolve_birth_date("261127", today) == dt.date(2026, 11, 27)
    assert resolve_birth_date("261128", today) == dt.date(1926, 11, 28)
    assert resolve_birth_date("340712", today) == dt.date(1934, 7, 12)
    assert resolve_expiry_date("700601", today, dt.date(1980, 10, 10)) == dt.date(2070, 6, 1)
    assert resolve_expiry_date("950712", today) == dt.date(1995, 7, 12)
    assert resolve_expiry_date("700601", dt.date(2014, 1, 1), dt.date(1980, 10, 10)) == dt.date(
        2070, 6, 1
    )
    assert resolve_birth_date("010231", today) is None


def test_impossible_date_and_unknown_country_are_warnings_not_invalidity() -> None:
    fields = parse_mrz(TD3_SPECIMEN, today=TODAY).fields
    mrz = generate_mrz("TD3", {**fields, "birth_date": "741332", "nationality": "ZZZ"})
    result = parse_mrz(mrz, today=dt.date(2026, 1, 1))
    assert result.valid
    assert {"impossible_date", "unknown_country_code"} <= set(result.warning_codes)
    assert result.dates["birth_date"] is None


def test_country_code_list_has_iso_and_icao_special_codes() -> None:
    codes = country_codes()
    for code in (
        "SRB",
        "DEU",
        "D",
        "UTO",
        "XXA",
        "XXB",
        "XXC",
        "XXX",
        "EUE",
        "UNO",
        "UNA",
        "UNK",
        "GBD",
    ):
        assert code in codes
    assert "BOS" not in codes and len(codes) > 250


def test_2026_passport_codes_and_old_style_expiry() -> None:
    fields = parse_mrz(TD3_SPECIMEN, today=TODAY).fields
    pp = parse_mrz(
        generate_mrz("TD3", {**fields, "document_code": "PP"}), today=dt.date(2026, 1, 1)
    )
    assert (
        pp.valid
        and pp.fields["document_code"] == "PP"
        and "unknown_document_code" not in pp.warning_codes
    )
    px = parse_mrz(
        generate_mrz("TD3", {**fields, "document_code": "PX"}), today=dt.date(2026, 1, 1)
    )
    assert "unknown_document_code" in px.warning_codes
    late = parse_mrz(
        generate_mrz("TD3", {**fields, "expiry_date": "380601"}), today=dt.date(2028, 6, 1)
    )
    assert "old_style_code" in late.warning_codes


def test_ocr_confusion_in_a_date_is_corrected_when_the_digit_confirms() -> None:
    noisy = TD3_SPECIMEN.replace("7408122F", "74O8I22F")
    result = parse_mrz(noisy, today=dt.date(2026, 1, 1))
    assert not result.valid
    assert result.fields["birth_date"] == "740812"
    assert {(c["read"], c["corrected"]) for c in result.corrections} == {("O", "0"), ("I", "1")}
    assert all(c["confirmed_by"] == "birth_date check digit" for c in result.corrections)


def test_no_correction_when_the_digit_does_not_confirm() -> None:
    noisy = TD3_SPECIMEN.replace("7408122F", "74O8I23F")  # wrong check digit as well
    result = parse_mrz(noisy, today=dt.date(2026, 1, 1))
    assert result.corrections == []
    assert result.fields["birth_date"] == "74O8I2"


def test_ocr_confusion_in_the_document_number_is_corrected() -> None:
    noisy = TD3_SPECIMEN.replace("L898902C3", "L8989O2C3")
    result = parse_mrz(noisy, today=dt.date(2026, 1, 1))
    assert result.fields["document_number"] == "L898902C3"
    assert result.corrections[0]["field"] == "document_number"


def test_correct_false_keeps_the_reading() -> None:
    noisy = TD3_SPECIMEN.replace("7408122F", "74O8I22F")
    assert parse_mrz(noisy, today=TODAY, correct=False).fields["birth_date"] == "74O8I2"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("P<UTO", "line_length"),
        (TD3_SPECIMEN[:-1], "line_length"),
        (TD3_SPECIMEN.replace("ERIKSSON", "ERIK$SON"), "bad_character"),
    ],
)
def test_malformed_input_gives_errors_not_exceptions(text: str, code: str) -> None:
    result = parse_mrz(text, today=TODAY)
    assert not result.valid
    assert result.errors[0]["code"] == code


def test_lowercase_spaces_and_crlf_are_tolerated() -> None:
    messy = "  " + TD3_SPECIMEN.lower().replace("\n", "\r\n") + "\n\n"
    assert parse_mrz(messy, today=dt.date(2026, 1, 1)).valid


def test_generation_transliterates_names_and_makes_long_numbers() -> None:
    mrz = generate_mrz(
        "TD1",
        {
            "document_code": "ID",
            "issuing_state": "SRB",
            "document_number": "AB12345678901",
            "birth_date": dt.date(1980, 1, 2),
            "sex": "M",
            "expiry_date": dt.date(2031, 5, 6),
            "nationality": "SRB",
            "surname": "Ђорђевић",
            "given_names": "Љубиша Милош",
        },
    )
    result = parse_mrz(mrz, today=dt.date(2026, 1, 1))
    assert result.valid, result.checks
    assert result.fields["document_number"] == "AB12345678901"
    assert result.fields["surname"] == "DORDEVIC"
    assert result.fields["given_names"] == "LJUBISA MILOS"
    assert mrz.split("\n")[0][14] == "<"


def test_generation_rejects_what_cannot_be_written() -> None:
    fields = parse_mrz(TD3_SPECIMEN, today=TODAY).fields
    with pytest.raises(ValidationError, match="document_number"):
        generate_mrz("TD3", {**fields, "document_number": "1234567890"})
    with pytest.raises(ValidationError, match="birth_date"):
        generate_mrz("TD3", {**fields, "birth_date": "7408"})
    with pytest.raises(ValidationError, match="type"):
        generate_mrz("TD4", fields)


_letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
_alnum = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=9)
_date = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2025, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["TD1", "TD2", "TD3", "MRVA", "MRVB"]),
    number=_alnum,
    surname=_letters,
    given_name=_letters,
    birth=_date,
    expiry=st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2060, 12, 31)),
    sex=st.sampled_from(["M", "F", "X", "<"]),
    state=st.sampled_from(["SRB", "D", "UTO", "XXA"]),
)
def test_generate_then_parse_round_trips(
    kind: str,
    number: str,
    surname: str,
    given_name: str,
    birth: dt.date,
    expiry: dt.date,
    sex: str,
    state: str,
) -> None:
    code = "V" if kind.startswith("MRV") else ("P" if kind == "TD3" else "I")
    fields = {
        "document_code": code,
        "issuing_state": state,
        "document_number": number,
        "nationality": state,
        "birth_date": birth.strftime("%y%m%d"),
        "sex": sex,
        "expiry_date": expiry.strftime("%y%m%d"),
        "surname": surname,
        "given_names": given_name,
        "optional_data": "",
    }
    if kind == "TD1":
        fields["optional_data_2"] = ""
    result = parse_mrz(generate_mrz(kind, fields), today=dt.date(2026, 1, 1))
    assert result.valid and result.type == kind
    assert result.fields == fields
    assert result.dates["birth_date"] == birth.isoformat()
    assert result.dates["expiry_date"] == expiry.isoformat()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=120))
def test_parser_never_raises_on_arbitrary_text(text: str) -> None:
    result = parse_mrz(text, today=TODAY)
    assert isinstance(result.to_dict(), dict)
    if result.errors:
        assert not result.valid


runner = CliRunner()


def test_cli_parse_json_from_argument_and_stdin() -> None:
    out = runner.invoke(app, ["mrz", "parse", "--json", TD1_SPECIMEN])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert (
        data["type"] == "TD1" and data["valid"] and data["fields"]["document_number"] == "D23145890"
    )
    out = runner.invoke(app, ["mrz", "parse", "--json"], input=TD3_SPECIMEN)
    assert json.loads(out.stdout)["fields"]["surname"] == "ERIKSSON"


def test_cli_malformed_input_exits_zero_with_errors() -> None:
    out = runner.invoke(app, ["mrz", "parse", "--json", "NOT AN MRZ"])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["valid"] is False and data["errors"]


def test_cli_readable_report() -> None:
    out = runner.invoke(app, ["mrz", "parse", TD3_SPECIMEN])
    assert out.exit_code == 0
    assert "Valid: yes" in out.stdout and "ERIKSSON" in out.stdout


def test_a_six_read_as_g_in_a_date_is_read_back_as_a_digit() -> None:
    """G counts as 6 in check-digit arithmetic (16 mod 10), so the check digit passes and only
    the field's kind (digits only) can tell; the OCR reading must not keep the letter."""
    fields = parse_mrz(TD3_SPECIMEN, today=TODAY).fields
    clean = generate_mrz("TD3", {**fields, "birth_date": "760727", "expiry_date": "300606"})
    line2 = clean.split("\n")[1]
    noisy = clean.replace(line2, line2[:13] + "7G0727" + line2[19:21] + "300G0G" + line2[27:])
    assert parse_mrz(noisy, today=TODAY).checks["birth_date"]  # the digit cannot see it
    result = parse_mrz(noisy, today=TODAY, from_ocr=True)
    assert result.fields["birth_date"] == "760727" and result.fields["expiry_date"] == "300606"
    assert result.dates["birth_date"] == "1976-07-27"
    assert {c["field"] for c in result.corrections} == {"birth_date", "expiry_date"}
    assert all("digits only" in c["confirmed_by"] for c in result.corrections)
