"""An arrest alert hidden for an operation (CH 25a, 26(1bis); 1862 Art 26(4)): the border
guard does not find it while the SIRENE Bureau still does; at most 48 hours, renewed by
hiding it again; once the time is up it is found again (at once, and the job clears the
mark); only active national arrest alerts, with a reason; through the API with the
contract's errors."""

from __future__ import annotations

import datetime as dt

import pytest

from granica import clock
from granica.auth.principal import Principal
from granica.errors import ConflictError, PermissionDenied, ValidationError
from granica.sis import search, service
from granica.storage import Database
from tests.sis.conftest import arrest_payload, vehicle_payload

pytestmark = [pytest.mark.acceptance, pytest.mark.db]
T0 = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def _found(database: Database, who: Principal) -> int:
    with database.session() as s:
        return len(search.search_person(s, who, name="Đorđe Jovanović", date_of_birth="1980-04-12",
                                        purpose="border check"))


def test_alerts_arrest_alert_hidden_for_48_hours(database: Database, officer: Principal,
                                                  validator: Principal, guard: Principal,
                                                  sirene: Principal) -> None:
    clock.freeze(T0)
    with database.session() as s:
        alert = service.create_alert(s, officer, arrest_payload(), purpose="entry")
    with database.session() as s, pytest.raises(ConflictError, match="validate it first"):
        service.hide_alert(s, validator, alert["alert_id"], hours=48, reason="operation Kosava",
                           purpose="operation")
    with database.session() as s:
        service.validate_alert(s, validator, alert["alert_id"], purpose="validation")
    assert _found(database, guard) == 1
    for hours, why, problem in ((49, "operation Kosava", "not within 0 to 48"),
                                (12, "op", "name the operation")):
        with database.session() as s, pytest.raises(ValidationError, match=problem):
            service.hide_alert(s, validator, alert["alert_id"], hours=hours, reason=why,
                               purpose="operation")
    with database.session() as s, pytest.raises(PermissionDenied):
        service.hide_alert(s, guard, alert["alert_id"], hours=48, reason="operation Kosava",
                           purpose="operation")
    with database.session() as s:
        view = service.hide_alert(s, validator, alert["alert_id"], hours=48,
                                  reason="operation Kosava", purpose="operation")
    assert view["hidden_until"] == (T0 + dt.timedelta(hours=48)).isoformat()
    assert _found(database, guard) == 0 and _found(database, sirene) == 1

    clock.freeze(T0 + dt.timedelta(hours=40))  # renewed before the end: 48 hours from now
    with database.session() as s:
        view = service.hide_alert(s, validator, alert["alert_id"], hours=48,
                                  reason="operation Kosava, second phase", purpose="operation")
    assert view["hidden_until"] == (T0 + dt.timedelta(hours=88)).isoformat()
    clock.freeze(T0 + dt.timedelta(hours=87))
    assert _found(database, guard) == 0
    clock.freeze(T0 + dt.timedelta(hours=88, minutes=1))
    assert _found(database, guard) == 1  # the time is up: found again before the job runs
    with database.session() as s:
        assert service.unhide_expired(s, validator) == 1
    with database.session() as s:
        assert service.unhide_expired(s, validator) == 0
        assert service.get_alert(s, guard, alert["alert_id"], purpose="t")["sirene_only"] is False

    with database.session() as s:  # only arrest alerts are hidden for an operation
        car = service.create_alert(s, officer, vehicle_payload(), purpose="entry")
        service.validate_alert(s, validator, car["alert_id"], purpose="validation")
    with database.session() as s, pytest.raises(ValidationError, match="only arrest alerts"):
        service.hide_alert(s, validator, car["alert_id"], hours=2, reason="operation Kosava",
                           purpose="operation")
    clock.reset()


def test_alerts_entered_for_sirene_only_are_hidden_for_48_hours_from_validation(
        database: Database, officer: Principal, validator: Principal, guard: Principal,
        sirene: Principal) -> None:
    """Kept for the SIRENE Bureau only at entry is the same hiding, with the same end: it
    starts when the alert becomes active and is renewed like any other."""
    clock.freeze(T0)
    with database.session() as s:
        alert = service.create_alert(s, officer, {**arrest_payload(), "sirene_only": True},
                                     purpose="entry")
    clock.freeze(T0 + dt.timedelta(hours=5))
    with database.session() as s:
        view = service.validate_alert(s, validator, alert["alert_id"], purpose="validation")
    assert view["hidden_until"] == (T0 + dt.timedelta(hours=53)).isoformat()
    assert _found(database, guard) == 0 and _found(database, sirene) == 1
    clock.freeze(T0 + dt.timedelta(hours=50))
    with database.session() as s:  # renewed before its end, as a hiding is
        view = service.hide_alert(s, validator, alert["alert_id"], hours=10,
                                  reason="operation Kosava, extended", purpose="operation")
    assert view["hidden_until"] == (T0 + dt.timedelta(hours=60)).isoformat()
    clock.freeze(T0 + dt.timedelta(hours=60, minutes=1))
    assert _found(database, guard) == 1
    with database.session() as s:
        assert service.unhide_expired(s, validator) == 1

    with database.session() as s, pytest.raises(ValidationError, match="sirene_only") as err:
        service.create_alert(s, officer, {**vehicle_payload(), "sirene_only": True},
                             purpose="entry")
    assert "arrest alerts" in str(err.value)
    clock.reset()
