"""Border service behaviour beyond the acceptance scenarios: SLTD, EES entries and exits,
overstay, refusals, retention and permissions."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from granica import clock
from granica.audit.models import AuditEntry
from granica.auth.principal import Principal
from granica.border import service
from granica.border.models import BorderCheck, EntryExitRecord, Refusal, TravellerFile
from granica.border.schemas import CheckRequest, RefusalRequest
from granica.errors import PermissionDenied, ValidationError
from granica.storage import Database
from tests.border.conftest import (
    BCP,
    GUARD,
    OFFICER,
    SUPERVISOR,
    SYSTEM,
    enter_alert,
    future_expiry,
    td3,
)

TRAVELLER = ("NOVAK", "ANA", "N7654321", "UKR", "900215")


def check(db: Database, direction: str = "entry", who: Principal = GUARD,
          **extra: object) -> service.CheckResult:
    mrz = td3(*TRAVELLER, expiry=future_expiry(), sex="F")
    with db.session() as s:
        return service.check(s, who, CheckRequest(bcp=BCP, mrz=mrz, direction=direction,
                                                  **extra), "border check")


def test_sltd_stolen_passport_is_a_hit(border_db: Database) -> None:
    with border_db.session() as s:
        service.seed_sltd(s, SYSTEM, [(TRAVELLER[2], "UKR", "stolen")], "demo data")
    result = check(border_db)
    assert result.decision == "hit"
    assert result.hits[0].source == "sltd" and "stolen" in result.hits[0].category_label
    assert "Interpol" in result.hits[0].action


def test_stolen_document_alert_in_sis_is_a_hit(border_db: Database) -> None:
    enter_alert(border_db, "issued_document", {
        "document_type": "passport", "document_number": TRAVELLER[2], "document_country": "UA",
        "document_status": "stolen", "purpose": "seizure", "reason": "reported stolen",
        "issuing_authority": "Police Directorate"})
    result = check(border_db)
    assert result.decision == "hit"
    assert [h.source for h in result.hits] == ["sis_document"]


def test_vehicle_alert_is_a_hit(border_db: Database) -> None:
    enter_alert(border_db, "motor_vehicle", {
        "vin": "WVWZZZ1JZXW000001", "plate": "BG123AB", "plate_country": "RS",
        "make": "Volkswagen", "purpose": "seizure", "reason": "stolen in Novi Sad",
        "issuing_authority": "Police Directorate"})
    result = check(border_db, vehicle_plate="BG 123 AB")
    assert result.decision == "hit" and result.hits[0].source == "sis_vehicle"


def test_entry_then_exit_records_movements_and_overstay_is_detected(border_db: Database) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    clock.freeze(start)
    assert check(border_db).decision == "go"
    # a second entry without an exit is the same crossing checked twice
    again = check(border_db)
    assert again.decision == "refer" and "already_entered" in [r.code for r in again.reasons]
    clock.freeze(start + dt.timedelta(days=30))
    out = check(border_db, "exit")
    assert out.decision == "go" and out.stay is not None and out.stay.days_used == 31
    # back in after a week, and staying far too long
    clock.freeze(start + dt.timedelta(days=37))
    assert check(border_db).decision == "go"
    clock.freeze(start + dt.timedelta(days=140))
    late = check(border_db, "exit")
    assert late.decision == "refer"
    assert "overstay" in [r.code for r in late.reasons]
    assert late.stay is not None and late.stay.overstay_days > 0
    with border_db.session() as s:
        traveller = s.scalars(sa.select(TravellerFile)).one()
        assert traveller.overstayer
        assert s.scalar(sa.select(sa.func.count()).select_from(EntryExitRecord)) == 3
        # overstayers are kept 5 years
        assert traveller.retain_until > clock.now() + dt.timedelta(days=4 * 365)


def test_intended_stay_over_90_days_is_referred(border_db: Database) -> None:
    clock.freeze(dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC))
    result = check(border_db, intended_exit=dt.date(2026, 9, 30))
    assert result.decision == "refer"
    assert "stay_exhausted" in [r.code for r in result.reasons]


def test_retention_erases_after_three_years_and_keeps_overstayers_five(border_db: Database) -> None:
    clock.freeze(dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.UTC))
    check(border_db)
    clock.advance(dt.timedelta(days=3 * 365 + 2))
    with border_db.session() as s:
        erased = service.purge_expired(s, SYSTEM)
    assert erased["checks"] == 1 and erased["entries_exits"] == 1 and erased["travellers"] == 1
    with border_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(BorderCheck)) == 0


def test_refusal_with_reasons_pdf_and_statistics(border_db: Database) -> None:
    first = check(border_db, intended_exit=clock.today() + dt.timedelta(days=200))
    with border_db.session() as s:
        refusal = service.decide_refusal(s, GUARD, RefusalRequest(
            check_id=first.check_id, bcp=BCP, reasons=["F", "e"], details={"E": "return ticket"},
            language="sr-Latn"), "refusal of entry")
        refusal_id = refusal.id
        assert refusal.reasons == ["E", "F"] and refusal.surname == "NOVAK"
    with border_db.session() as s:
        pdf = service.refusal_pdf(s, GUARD, refusal_id, "traveller's copy")
    assert pdf.startswith(b"%PDF")
    with border_db.session() as s:
        stats = service.refusal_statistics(s, SUPERVISOR, "statistics")
    assert stats["total"] == 1 and stats["by_reason"] == {"E": 1, "F": 1}
    assert stats["by_nationality"] == {"UKR": 1}
    with border_db.session() as s, pytest.raises(ValidationError):
        service.decide_refusal(s, GUARD, RefusalRequest(check_id=first.check_id, bcp=BCP,
                                                        reasons=["Z"]), "refusal of entry")
    with border_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Refusal)) == 1


def test_check_needs_the_permission_and_denial_is_audited(border_db: Database) -> None:
    with pytest.raises(PermissionDenied):
        check(border_db, who=OFFICER)
    with border_db.session() as s:
        denied = s.scalars(sa.select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert [d.action for d in denied] == ["border.check"]
        assert s.scalar(sa.select(sa.func.count()).select_from(BorderCheck)) == 0


def test_unknown_crossing_point_is_refused(border_db: Database) -> None:
    with border_db.session() as s, pytest.raises(ValidationError) as info:
        service.check(s, GUARD, CheckRequest(bcp="NOWHERE"), "border check")
    assert info.value.field == "bcp"


def test_guard_sees_own_checks_only_supervisor_sees_all(border_db: Database) -> None:
    result = check(border_db)
    other = Principal(user_id="u-guard2", username="guard2", agency="BORDER_POLICE",
                      roles=GUARD.roles, permissions=GUARD.permissions)
    with border_db.session() as s:
        assert service.get_check(s, GUARD, result.check_id, "review").id == result.check_id
    with border_db.session() as s, pytest.raises(PermissionDenied):
        service.get_check(s, other, result.check_id, "review")
    with border_db.session() as s:
        assert service.get_check(s, SUPERVISOR, result.check_id, "review").decision == "go"


def test_demo_reference_data_is_added_once(database: Database) -> None:
    from granica.border.demo import CROSSING_POINTS, seed_demo_border

    assert seed_demo_border(database) == len(CROSSING_POINTS)
    assert seed_demo_border(database) == 0
    with database.session() as s:
        points = service.list_crossing_points(s)
    assert [p.code for p, _ in points] == sorted(c[0] for c in CROSSING_POINTS)
    assert all(lanes for _, lanes in points)


def test_supervisor_records_the_crossing_after_second_line(border_db: Database) -> None:
    referred = check(border_db, intended_exit=clock.today() + dt.timedelta(days=200))
    assert referred.decision == "refer"
    with border_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(EntryExitRecord)) == 0
        with pytest.raises(PermissionDenied):
            service.record_crossing_after_referral(s, GUARD, referred.check_id, "second line")
    with border_db.session() as s:
        traveller_id = service.record_crossing_after_referral(s, SUPERVISOR, referred.check_id,
                                                              "second line cleared")
    with border_db.session() as s:
        entry = s.scalars(sa.select(EntryExitRecord)).one()
        assert (entry.traveller_id, entry.kind, entry.check_id) == (
            traveller_id, "entry", referred.check_id)


def test_own_nationals_are_the_node_country_from_the_settings(
        border_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nationals of the node's own country get the minimum check; which country that is
    comes from settings.document_country, not from a code written into the rules."""
    from granica.settings import reset_settings

    def kind_of(nationality: str) -> str:
        mrz = td3("PETROVIC", "MARKO", "0012345", nationality, "850101", future_expiry())
        with border_db.session() as s:
            return service.check(s, GUARD, CheckRequest(bcp=BCP, mrz=mrz), "border check").kind

    try:
        assert (kind_of("SRB"), kind_of("MNE"), kind_of("HRV")) == ("minimum", "thorough", "minimum")
        monkeypatch.setenv("GRANICA_DOCUMENT_COUNTRY", "MNE")
        reset_settings()
        assert (kind_of("SRB"), kind_of("MNE")) == ("thorough", "minimum")
    finally:
        monkeypatch.delenv("GRANICA_DOCUMENT_COUNTRY")
        reset_settings()
