"""Compatibility of alerts on the same person or object (compatibility.toml, SIS II manual
§7.2): a discreet check on a person wanted for arrest is refused, naming the arrest alert
and what to do; a namesake born on another day, or the same check on another person, is
entered; discreet and specific checks on one person exclude each other; an object under a
discreet check cannot also be sought for seizure; an update that would make an alert
incompatible is refused too; nothing is stored by a refused entry."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from granica.auth.principal import system_principal
from granica.sis import compatibility, service
from granica.sis.compatibility import IncompatibleAlertError
from granica.sis.models import Alert
from granica.storage import Database
from tests.sis.conftest import arrest_payload, vehicle_payload

pytestmark = [pytest.mark.acceptance, pytest.mark.db]
PURPOSE = "alert entry"


def check_payload(category: str, **data: Any) -> dict[str, Any]:
    payload = arrest_payload(**data)
    payload["category"] = category
    payload["data"].pop("warrant_reference", None)
    return payload


def test_alerts_incompatible_alerts_are_not_entered(database: Database) -> None:
    actor = system_principal("test")
    with database.session() as s:
        arrest = service.create_alert(s, actor, arrest_payload(), purpose=PURPOSE)
    with database.session() as s, pytest.raises(IncompatibleAlertError) as refused:
        service.create_alert(s, actor, check_payload("discreet_check", surname="JOVANOVIC",
                                                     forenames="Djordje"), purpose=PURPOSE)
    message = refused.value.message
    assert arrest["schengen_id"] in message and "Arrest for surrender" in message
    assert "SIRENE Bureau" in message and refused.value.http_status == 409
    assert refused.value.details["incompatible_with"] == [arrest["schengen_id"]]
    with database.session() as s:  # nothing of the refused alert was stored
        assert s.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1

    # a namesake born on another day, and another person, are other people
    with database.session() as s:
        service.create_alert(s, actor, check_payload("discreet_check",
                                                     date_of_birth="1980-04-13"), purpose=PURPOSE)
        discreet = service.create_alert(s, actor, check_payload(
            "discreet_check", surname="Petrović", forenames="Marko"), purpose=PURPOSE)
    # discreet and specific checks on one person exclude each other
    with database.session() as s, pytest.raises(IncompatibleAlertError, match=discreet["schengen_id"]):
        service.create_alert(s, actor, check_payload("specific_check", surname="Petrovic",
                                                     forenames="Marko"), purpose=PURPOSE)
    # an update that would make an alert incompatible is refused as well
    with database.session() as s:
        other = service.create_alert(s, actor, arrest_payload(surname="Ilić", forenames="Ivan"),
                                     purpose=PURPOSE)
    changed = arrest_payload(surname="Petrović", forenames="Marko")
    with database.session() as s, pytest.raises(IncompatibleAlertError):
        service.update_alert(s, actor, other["alert_id"], changed, purpose=PURPOSE)
    with database.session() as s:  # its own data may change freely
        service.update_alert(s, actor, other["alert_id"], arrest_payload(surname="Ilić",
                                                                   forenames="Ivan Petar"),
                             purpose=PURPOSE)


def test_alerts_object_checks_exclude_other_alerts_on_the_object(database: Database) -> None:
    actor = system_principal("test")
    watched = vehicle_payload()
    watched["data"]["purpose"] = "discreet_check"
    with database.session() as s:
        first = service.create_alert(s, actor, watched, purpose=PURPOSE)
        plate = vehicle_payload(vin="WVWZZZ1KZ8W000099", plate="NS 555-XY")
        service.create_alert(s, actor, plate, purpose=PURPOSE)  # another vehicle
    with database.session() as s, pytest.raises(IncompatibleAlertError,
                                                match=first["schengen_id"]):
        service.create_alert(s, actor, {**vehicle_payload(plate="BG 999-ZZ"),
                                        "category": "vehicle_plate"} | {"data": {
                                            "plate": "BG 123-AB", "plate_country": "RS",
                                            "purpose": "seizure", "reason": "stolen plates",
                                            "issuing_authority": "PU Beograd"}},
                             purpose=PURPOSE)


def test_alerts_compatibility_rules_are_data() -> None:
    r = compatibility.rules()
    assert frozenset(("discreet_check", "arrest")) in r.person_pairs
    assert frozenset(("discreet_check", "specific_check")) in r.person_pairs
    assert frozenset(("arrest", "refusal_of_entry")) not in r.person_pairs
    assert frozenset(("inquiry_check", "specific_check")) in r.unverified
    assert "discreet_check" in r.object_checks and r.source
