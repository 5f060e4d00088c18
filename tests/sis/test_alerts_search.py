"""Acceptance: searching persons and objects, the result shape, and who sees what."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from granica.audit.models import AuditEntry
from granica.auth.principal import Principal
from granica.errors import EmptyNameError, PermissionDenied
from granica.sis import search, service
from granica.sis.search import RESULT_FIELDS
from granica.storage import Database
from tests.sis.conftest import arrest_payload, vehicle_payload

pytestmark = [pytest.mark.acceptance, pytest.mark.db]


def _person(category: str, surname: str, forenames: str, dob: str, sex: str = "M",
            nat: str = "RS", **extra: Any) -> dict[str, Any]:
    data = {"surname": surname, "forenames": forenames, "sex": sex, "date_of_birth": dob,
            "nationalities": [nat], "reason": "test", "issuing_authority": "test authority", **extra}
    return {"category": category, "data": data}


@pytest.fixture()
def register(database: Database, sirene: Principal) -> dict[str, str]:
    """A small register loaded through the import (all active), keyed by a short name."""
    alerts = {
        "djordje": {"schengen_id": "RS0000000000001", "issuing_country": "RS",
                    **arrest_payload()},
        "namesake": {"schengen_id": "RS0000000000002", "issuing_country": "RS",
                     **_person("refusal_of_entry", "Jovanović", "Đorđe", "1955-07-30")},
        "marko": {"schengen_id": "DE0000000000003", "issuing_country": "DE",
                  **_person("refusal_of_entry", "Марковић", "Марко", "1990-03-04")},
        "discreet": {"schengen_id": "RS0000000000004", "issuing_country": "RS",
                     **_person("discreet_check", "Müller", "Thomas", "1975-11-20", nat="DE")},
        "ayse": {"schengen_id": "FR0000000000005", "issuing_country": "FR",
                 **_person("missing_protection", "Yılmaz", "Ayşe", "2012-06-01", sex="F", nat="TR",
                           case_category="trafficking")},
        "car": {"schengen_id": "RS0000000000006", "issuing_country": "RS", **vehicle_payload()},
        "passport": {"schengen_id": "IT0000000000007", "issuing_country": "IT", "category": "issued_document",
                     "data": {"document_type": "passport", "document_number": "YA1234567",
                              "document_country": "IT", "document_status": "stolen",
                              "purpose": "seizure", "reason": "stolen", "issuing_authority": "Questura"}},
        "gun": {"schengen_id": "RS0000000000008", "issuing_country": "RS", "category": "firearm",
                "data": {"serial_number": "ZA-123456", "make": "Zastava", "calibre": "9x19mm",
                         "purpose": "seizure", "reason": "stolen", "issuing_authority": "PU Niš"}},
        "note": {"schengen_id": "RS0000000000009", "issuing_country": "RS", "category": "banknote",
                 "data": {"banknote_serial": "EA1234567895", "currency": "EUR", "face_value": "50",
                          "purpose": "evidence", "reason": "ransom", "issuing_authority": "UKP"}},
    }
    with database.session() as s:
        report = service.import_alerts(s, sirene, [json.dumps(a) for a in alerts.values()],
                                       purpose="test data")
    assert report.rejected == []
    with database.session() as s:
        ids = {sid: aid for aid, sid in s.execute(sa.text("SELECT id, schengen_id FROM sis_alert"))}
    return {k: ids[a["schengen_id"]] for k, a in alerts.items()}


def test_alerts_person_search_any_script_order_and_spelling(
        database: Database, register: dict[str, str], guard: Principal) -> None:
    with database.session() as s:
        for name in ("Ђорђе Јовановић", "JOVANOVIC DJORDJE", "Đorđe Jovanović", "Dorde Jovanovic"):
            found = search.search_person(s, guard, name=name, date_of_birth="1980-04-12",
                                         purpose="check")
            assert found and found[0]["alert_id"] == register["djordje"], name
            # the namesake born 1955 is outside the date-of-birth window
            assert register["namesake"] not in [r["alert_id"] for r in found]
        latin = search.search_person(s, guard, name="Marko Markovic", purpose="check")
        assert [r["alert_id"] for r in latin] == [register["marko"]]
        assert "alert of DE: report a hit to the SIRENE Bureau" in latin[0]["warnings"]
        ayse = search.search_person(s, guard, name="Ayse Yilmaz", date_of_birth="2012",
                                    dob_mode="year", sex="F", nationality="TR", purpose="check")
        assert ayse[0]["alert_id"] == register["ayse"]
        assert "nationality TR matches" in ayse[0]["reasons"]


def test_alerts_date_of_birth_modes_rank_results(database: Database, register: dict[str, str],
                                                 guard: Principal) -> None:
    with database.session() as s:
        exact = search.search_person(s, guard, name="Đorđe Jovanović", date_of_birth="1980-04-12",
                                     purpose="check")
        swapped = search.search_person(s, guard, name="Đorđe Jovanović", date_of_birth="1980-12-04",
                                       purpose="check")
        approx = search.search_person(s, guard, name="Đorđe Jovanović", date_of_birth="1982-01-01",
                                      dob_mode="approximate", purpose="check")
        no_dob = search.search_person(s, guard, name="Đorđe Jovanović", purpose="check")
    assert exact[0]["score"] > swapped[0]["score"] > 0.6
    assert any("swapped" in r for r in swapped[0]["reasons"])
    assert approx[0]["alert_id"] == register["djordje"] and approx[0]["score"] < exact[0]["score"]
    assert {r["alert_id"] for r in no_dob} == {register["djordje"], register["namesake"]}
    # name and date of birth agreeing make a strong match; a name alone is only possible
    assert (exact[0]["match"], swapped[0]["match"]) == ("strong", "strong")
    assert approx[0]["match"] == "possible" and {r["match"] for r in no_dob} == {"possible"}
    assert "possible match: verify the identity" in approx[0]["reasons"]


def test_alerts_namesake_born_the_year_before_is_a_possible_match(
        database: Database, register: dict[str, str], guard: Principal) -> None:
    """A namesake within the birth-year window but born on another day and month still shows
    (the guard sees it), marked possible so that nobody acts on it before verifying."""
    with database.session() as s:
        other_day = search.search_person(s, guard, name="Đorđe Jovanović",
                                         date_of_birth="1979-08-25", purpose="check")
        same_day = search.search_person(s, guard, name="Đorđe Jovanović",
                                        date_of_birth="1981-04-12", purpose="check")
    assert [(r["alert_id"], r["match"]) for r in other_day] == [(register["djordje"], "possible")]
    assert [(r["alert_id"], r["match"]) for r in same_day] == [(register["djordje"], "strong")]
    assert other_day[0]["score"] < same_day[0]["score"]


def test_alerts_result_shape_is_exact(database: Database, register: dict[str, str],
                                      sirene: Principal) -> None:
    with database.session() as s:
        results = (search.search_person(s, sirene, name="Jovanović", purpose="t")
                   + search.find_object(s, sirene, "wvwzzz1kz8w000012", purpose="t"))
    assert results
    for r in results:
        assert tuple(r) == RESULT_FIELDS
        assert 0.0 <= r["score"] <= 1.0 and isinstance(r["reasons"], list) and r["reasons"]
        assert isinstance(r["warnings"], list) and r["summary"] and r["action_to_be_taken"]
        assert "supplementary_information" not in json.dumps(r)


def test_alerts_object_lookups(database: Database, register: dict[str, str], guard: Principal,
                               customs: Principal) -> None:
    with database.session() as s:
        assert [r["alert_id"] for r in search.find_vehicle(s, customs, plate="bg-123 ab",
                                                           purpose="t")] == [register["car"]]
        assert [r["alert_id"] for r in search.find_vehicle(s, guard, vin="WVWZZZ1KZ8W000012",
                                                           purpose="t")] == [register["car"]]
        doc = search.find_document(s, guard, "ya 1234567", country="IT", purpose="t")
        assert doc[0]["alert_id"] == register["passport"] and doc[0]["score"] == 1.0
        wrong_country = search.find_document(s, guard, "YA1234567", country="FR", purpose="t")
        assert wrong_country[0]["score"] < 1.0
        gun = search.find_firearm(s, customs, "ZA123456", make="Zastava", calibre="9x19mm", purpose="t")
        assert gun[0]["alert_id"] == register["gun"] and "calibre 9x19mm matches" in gun[0]["reasons"]
        note = search.find_object(s, customs, "EA1234567895", purpose="t")
        assert note[0]["alert_id"] == register["note"]
        assert search.find_object(s, customs, "NOTHING1", purpose="t") == []


def test_alerts_visibility_by_permission(database: Database, register: dict[str, str],
                                         guard: Principal, customs: Principal, sirene: Principal,
                                         inspector: Principal) -> None:
    with database.session() as s:
        # customs: object alerts yes, person alerts (discreet ones included) no
        assert search.find_vehicle(s, customs, vin="WVWZZZ1KZ8W000012", purpose="t")
    with pytest.raises(PermissionDenied), database.session() as s:
        search.search_person(s, customs, name="Thomas Müller", purpose="curiosity")
    with pytest.raises(PermissionDenied), database.session() as s:
        service.get_alert(s, customs, register["discreet"], purpose="curiosity")
    with database.session() as s:
        # the border guard lacks the discreet-check permission: the alert is simply not there
        assert search.search_person(s, guard, name="Thomas Müller", purpose="t") == []
        assert search.search_person(s, sirene, name="Thomas Muller", purpose="t")[0]["alert_id"] \
            == register["discreet"]
        guard_view = service.get_alert(s, guard, register["djordje"], purpose="t")
        sirene_view = service.get_alert(s, sirene, register["djordje"], purpose="t")
    assert guard_view["action_to_be_taken"].startswith("Arrest")
    assert "supplementary_information" not in guard_view
    assert sirene_view["supplementary_information"].startswith("SIRENE note")
    with pytest.raises(PermissionDenied), database.session() as s:
        search.find_object(s, inspector, "BG123AB", purpose="t")
    with pytest.raises(PermissionDenied), database.session() as s:
        search.search_person(s, guard, name="Thomas Müller", categories=["discreet_check"], purpose="t")
    with database.session() as s:
        denied = s.execute(sa.select(AuditEntry.username, AuditEntry.action).where(
            AuditEntry.outcome == "denied").order_by(AuditEntry.seq)).all()
    assert [tuple(d) for d in denied] == [
        ("customs", "alerts.search.person"), ("customs", "alerts.read"),
        ("inspector", "alerts.search.object"), ("guard", "alerts.search.person")]


def test_alerts_every_search_is_audited_with_purpose_and_count(
        database: Database, register: dict[str, str], guard: Principal) -> None:
    with database.session() as s:
        search.search_person(s, guard, name="Марко Марковић", purpose="second-line check 17")
        search.find_document(s, guard, "YA1234567", purpose="first-line check 18")
    with database.session() as s:
        rows = s.execute(sa.select(AuditEntry.action, AuditEntry.purpose, AuditEntry.result_count,
                                   AuditEntry.query).where(AuditEntry.username == "guard")
                         .order_by(AuditEntry.seq)).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("alerts.search.person", "second-line check 17", 1),
        ("alerts.search.document", "first-line check 18", 1)]
    assert rows[0][3]["name"] == "Марко Марковић"


def test_alerts_empty_name_is_refused(database: Database, guard: Principal) -> None:
    with pytest.raises(EmptyNameError), database.session() as s:
        search.search_person(s, guard, name=" -- ", purpose="t")
