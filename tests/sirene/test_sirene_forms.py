"""The form catalogue and the checks a form passes: each error names the form and field."""

from __future__ import annotations

import pytest

from granica.errors import ValidationError
from granica.sirene.forms import CatalogueError, catalogue, check_form, parse_catalogue

G = {"hit_time": "2026-12-07T08:30", "hit_place": "RS-BATROVCI", "circumstances": "entry check",
     "action_taken": "person arrested"}


def test_sirene_catalogue_declares_the_forms_and_the_header() -> None:
    cat = catalogue()
    assert set("AEFGHIJKLMNOPQ") <= set(cat.forms)
    assert [h.no for h in cat.header][:5] == ["001", "002", "003", "004", "005"]
    assert cat.forms["G"].reply_hours == 12 and cat.forms["A"].attachments_required == 1
    assert cat.forms["F"].status == "unverified" and cat.forms["G"].status == "verified"
    assert cat.max_attachments == 5 and cat.max_attachment_bytes == 10 * 1024 * 1024
    assert cat.forms["M"].reply_hours_for({"notice": "purpose_achieved"}) == 15 * 24


def test_sirene_form_check_cleans_values_and_names_what_is_missing() -> None:
    spec, head, body = check_form("g", {"schengen_id": "HU0100000000000042"}, G)
    assert spec.letter == "G" and head == {"schengen_id": "HU0100000000000042"}
    assert body["hit_time"] == "2026-12-07T08:30:00+00:00"  # stored in UTC
    with pytest.raises(ValidationError, match=r"form G: fill in the mandatory fields G03 "
                       r"\(Circumstances\), G04 \(Action taken\)"):
        check_form("G", {}, {"hit_time": "2026-12-07T08:30", "hit_place": "X"})
    with pytest.raises(ValidationError, match="no SIRENE form 'Z'"):
        check_form("Z", {}, {})
    with pytest.raises(ValidationError, match="form G has no form field colour"):
        check_form("G", {}, {**G, "colour": "red"})
    with pytest.raises(ValidationError, match=r"field G01 \(hit_time\): '7 Dec' is not a date"):
        check_form("G", {}, {**G, "hit_time": "7 Dec"})
    with pytest.raises(ValidationError, match="HUN1 is not a country code"):
        check_form("G", {}, {**G, "nationalities": "RS, HUN1"})


def test_sirene_header_urgent_needs_a_reason_and_a_geographic_search_its_states() -> None:
    with pytest.raises(ValidationError, match="URGENT needs the reason"):
        check_form("M", {"important": "URGENT"}, {"text": "x"})
    _, head, _ = check_form("M", {"important": "URGENT", "urgent_reason": "child at risk"},
                            {"text": "x"})
    assert head["important"] == "URGENT"
    with pytest.raises(ValidationError, match="geographic search needs the target states"):
        check_form("M", {"important": "GEOGRAPHIC_SEARCH"}, {"text": "x"})
    with pytest.raises(ValidationError, match="'SOON' is not one of URGENT, GEOGRAPHIC_SEARCH"):
        check_form("M", {"important": "SOON"}, {"text": "x"})


def test_sirene_attachments_and_consent_rules() -> None:
    with pytest.raises(ValidationError, match="form A needs 1 attachment"):
        check_form("A", {}, {"surname": "Kovacs", "facts": "robbery"})
    check_form("A", {}, {"surname": "Kovacs", "facts": "robbery"}, attachments=1)
    q = {"consent": "no", "consent_date": "2026-12-01", "surname": "Nagy",
         "distinguishing": "different date of birth"}
    with pytest.raises(ValidationError, match=r"field Q01 \(The victim gave explicit consent\) "
                       "must be yes"):
        check_form("Q", {}, q)
    check_form("Q", {}, {**q, "consent": "yes"})


def test_sirene_a_malformed_catalogue_is_refused_with_the_place() -> None:
    with pytest.raises(CatalogueError, match="form G, field X1: type 'colour'"):
        parse_catalogue({"forms": {"G": {"fields": [{"no": "X1", "name": "x", "label": "X",
                                                    "type": "colour"}]}}})
    with pytest.raises(CatalogueError, match="form Gx: a form is named by one capital letter"):
        parse_catalogue({"forms": {"Gx": {}}})
    with pytest.raises(CatalogueError, match="a field lacks 'label'"):
        parse_catalogue({"forms": {"G": {"fields": [{"no": "1", "name": "x"}]}}})


def test_sirene_recast_placeholders_are_configuration_marked_unverified() -> None:
    cat = catalogue()
    for letter, category in (("T", "return"), ("U", "unknown_wanted"),
                             ("V", "information_union_interest")):
        assert cat.forms[letter].status == "unverified"
        assert cat.forms[letter].categories == (category,)
    assert cat.forms["T"].reply_hours == 0 and cat.forms["U"].reply_hours == 12
    _, _, body = check_form("T", {}, {"departure_time": "2026-12-07T06:10",
                                      "crossing_point": "RS-HORGOS", "how_confirmed": "exit_check",
                                      "entry_ban": "yes"})
    assert body["departure_time"] == "2026-12-07T06:10:00+00:00" and body["entry_ban"] is True
    with pytest.raises(ValidationError, match=r"form T, field T03 \(how_confirmed\)"):
        check_form("T", {}, {"departure_time": "2026-12-07T06:10", "crossing_point": "X",
                             "how_confirmed": "by_phone"})
    with pytest.raises(ValidationError, match=r"form U: fill in the mandatory field U02"):
        check_form("U", {}, {"result": "identified", "surname": "Marković"})
