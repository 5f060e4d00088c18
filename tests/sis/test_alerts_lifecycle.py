"""Acceptance: an alert's life from entry to deletion, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from granica import clock
from granica.audit.models import AuditEntry
from granica.auth.principal import Principal, system_principal
from granica.errors import ConflictError, PermissionDenied, ValidationError
from granica.sis import search, service
from granica.sis.models import Alert, AlertIdentifier, AlertNameKey, HitReport
from granica.storage import Database
from tests.sis.conftest import arrest_payload, make_principal, vehicle_payload

pytestmark = [pytest.mark.acceptance, pytest.mark.db]


def _actions(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as s:
        return [(e.action, e.username, e.outcome)
                for e in s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq))]


def test_alerts_four_eyes_then_found_by_cyrillic_spelling(
        database: Database, officer: Principal, validator: Principal, guard: Principal) -> None:
    with database.session() as s:
        view = service.create_alert(s, officer, arrest_payload(), purpose="new EAW")
    assert view["status"] == "draft"
    assert view["schengen_id"].startswith("RS")
    alert_id = view["alert_id"]

    # a draft is not found by a border guard, and the creator cannot validate it
    with database.session() as s:
        assert search.search_person(s, guard, name="Ђорђе Јовановић", purpose="check") == []
    with pytest.raises(ValidationError, match="four eyes"), database.session() as s:
        # the same user, even holding the validate permission
        same_user = make_principal("officer", "CRIMINAL_POLICE", "police_validator")
        service.validate_alert(s, same_user, alert_id, purpose="validate")

    with database.session() as s:
        assert service.validate_alert(s, validator, alert_id, purpose="validate")["status"] == "active"
    with pytest.raises(ConflictError), database.session() as s:
        service.validate_alert(s, validator, alert_id, purpose="validate again")

    for spelling in ("Ђорђе Јовановић", "DJORDJE JOVANOVIC", "Jovanovic Djordje", "Đorđe Jovanović"):
        with database.session() as s:
            results = search.search_person(s, guard, name=spelling, date_of_birth="1980-04-12",
                                           purpose="border check")
        assert [r["alert_id"] for r in results] == [alert_id], spelling
        r = results[0]
        assert r["action_to_be_taken"].startswith("Arrest")
        assert "warning marker: armed" in r["warnings"]
        assert r["score"] >= 0.9
        assert any("date of birth" in why for why in r["reasons"])

    actions = _actions(database)
    assert ("alerts.create", "officer", "ok") in actions
    assert ("alerts.validate", "validator", "ok") in actions
    assert sum(1 for a in actions if a[0] == "alerts.search.person") == 5


def test_alerts_flag_changes_the_action_and_links_confer_no_access(
        database: Database, officer: Principal, validator: Principal, guard: Principal,
        customs: Principal) -> None:
    with database.session() as s:
        person = service.create_alert(s, officer, arrest_payload(), purpose="t")
        car = service.create_alert(s, officer, vehicle_payload(), purpose="t")
        for a in (person, car):
            service.validate_alert(s, validator, a["alert_id"], purpose="t")
    with database.session() as s:
        flagged = service.flag_alert(s, validator, person["alert_id"],
                                     reason="national law forbids surrender of own nationals",
                                     purpose="flag")
    assert flagged["action_to_be_taken"].startswith("Do not arrest")
    assert any(w.startswith("flagged by RS") for w in flagged["warnings"])
    with database.session() as s:
        service.link_alerts(s, officer, person["alert_id"], car["alert_id"],
                            reason="the car was used in the robbery", purpose="link")
        seen_by_customs = service.get_alert(s, customs, car["alert_id"], purpose="inspection")
        seen_by_guard = service.get_alert(s, guard, car["alert_id"], purpose="check")
    assert seen_by_customs["links"] == []  # customs may not see the person alert
    assert [lk["alert_id"] for lk in seen_by_guard["links"]] == [person["alert_id"]]


def test_alerts_misused_identity_needs_consent(database: Database, officer: Principal,
                                               validator: Principal) -> None:
    with database.session() as s:
        alert = service.create_alert(s, officer, arrest_payload(), purpose="t")
    victim = {"surname": "Jovanović", "forenames": "Đorđe", "date_of_birth": "1981-01-02", "sex": "M"}
    with pytest.raises(ValidationError, match="consent"), database.session() as s:
        service.add_misused_identity(s, officer, alert["alert_id"], victim=victim,
                                     consent_reference="", consent_given_on="2026-01-10", purpose="t")
    with database.session() as s:
        view = service.add_misused_identity(s, officer, alert["alert_id"], victim=victim,
                                            consent_reference="form Q 2026/17, signed",
                                            consent_given_on="2026-01-10", purpose="t")
    assert view["misused_identity"][0]["victim"]["date_of_birth"] == "1981-01-02"
    assert any("misused identity" in w for w in view["warnings"])
    with database.session() as s:
        service.withdraw_misused_identity(s, officer, view["misused_identity"][0]["id"], purpose="t")
        assert service.get_alert(s, officer, alert["alert_id"], purpose="t")["misused_identity"] == []


def test_alerts_review_warning_extension_and_deletion_at_expiry(
        database: Database, officer: Principal, validator: Principal) -> None:
    clock.freeze(dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC))
    with database.session() as s:
        child = service.create_alert(s, officer, {"category": "prevent_travel_child_abduction", "data": {
            "surname": "Petrović", "forenames": "Mila", "sex": "F", "date_of_birth": "2019-05-05",
            "case_category": "parental_abduction", "reason": "court order",
            "issuing_authority": "Osnovni sud"}}, purpose="t")
        car = service.create_alert(s, officer, vehicle_payload(), purpose="t")
    assert child["review_date"] == "2027-01-10"  # 1 year for Art 32(1)(c)
    assert car["review_date"] == "2036-01-10"
    system = system_principal("jobs")
    clock.freeze(dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    with database.session() as s:
        assert service.review_warnings(s, system, purpose="review") == []
    clock.freeze(dt.datetime(2026, 9, 20, tzinfo=dt.UTC))  # within 4 months of 2027-01-10
    with database.session() as s:
        warned = service.review_warnings(s, system, purpose="review")
        assert [w["alert_id"] for w in warned] == [child["alert_id"]]
        assert service.review_warnings(s, system, purpose="review") == []  # warned once
    with pytest.raises(ValidationError, match="reason"), database.session() as s:
        service.extend_alert(s, validator, child["alert_id"], reason="", purpose="t")
    with database.session() as s:
        extended = service.extend_alert(s, validator, child["alert_id"],
                                        reason="child still at risk: new custody ruling 2026-09",
                                        purpose="extend")
    assert extended["review_date"] == "2028-01-10"
    clock.freeze(dt.datetime(2028, 1, 11, tzinfo=dt.UTC))
    with database.session() as s:
        assert service.delete_expired(s, system) == 1
    with database.session() as s:
        assert s.get(Alert, child["alert_id"]) is None
        assert s.scalar(sa.select(sa.func.count()).select_from(AlertNameKey)
                        .where(AlertNameKey.alert_id == child["alert_id"])) == 0
        assert s.get(Alert, car["alert_id"]) is not None
        trail = s.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.subject_ids.is_not(None)).order_by(AuditEntry.seq)).all()
    assert "alerts.expire" in trail and "alerts.extend" in trail


def test_alerts_only_the_issuing_country_changes_its_alerts_and_hits_go_to_sirene(
        database: Database, sirene: Principal, guard: Principal) -> None:
    foreign = {"schengen_id": "DE0000123456789", "issuing_country": "DE", **vehicle_payload()}
    with database.session() as s:
        report = service.import_alerts(s, sirene, [__import__("json").dumps(foreign)], purpose="t")
    assert report.imported == 1
    with database.session() as s:
        alert_id = s.scalar(sa.select(Alert.id))
    with pytest.raises(PermissionDenied, match="issuing country"), database.session() as s:
        service.update_alert(s, sirene, alert_id, {"data": vehicle_payload()["data"]}, purpose="t")
    with pytest.raises(PermissionDenied), database.session() as s:
        service.delete_alert(s, sirene, alert_id, reason="x", purpose="t")
    with database.session() as s:
        found = search.find_vehicle(s, guard, vin="wvwzzz1kz8w000012", purpose="check")
        assert "alert of DE: report a hit to the SIRENE Bureau" in found[0]["warnings"]
        service.report_hit(s, guard, alert_id, context={"bcp": "Horgoš"}, purpose="hit")
    with database.session() as s:
        hit = s.scalar(sa.select(HitReport))
        assert hit is not None and hit.routed_to == "SIRENE" and hit.issuing_country == "DE"
        assert s.get(Alert, alert_id) is not None
    assert ("alerts.update", "sirene", "denied") in _actions(database)


def test_alerts_update_goes_back_to_validation_and_reindexes(
        database: Database, officer: Principal, validator: Principal, guard: Principal) -> None:
    with database.session() as s:
        car = service.create_alert(s, officer, vehicle_payload(), purpose="t")
        service.validate_alert(s, validator, car["alert_id"], purpose="t")
    data = dict(vehicle_payload(plate="NS 777-XY")["data"])
    with database.session() as s:
        updated = service.update_alert(s, officer, car["alert_id"], {"data": data}, purpose="t")
        assert updated["status"] == "draft"
        plates = set(s.scalars(sa.select(AlertIdentifier.value)
                               .where(AlertIdentifier.alert_id == car["alert_id"])))
    assert "NS777XY" in plates and "BG123AB" not in plates
