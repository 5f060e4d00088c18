"""Acceptance: a border check gives go, hit or refer as a guard would see it (issue 6)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from granica.audit.models import AuditEntry
from granica.auth.principal import Principal
from granica.border import service, sources
from granica.border.models import BorderCheck, BorderRecheck, EntryExitRecord
from granica.border.schemas import CheckRequest, TypedDocument
from granica.settings import reset_settings
from granica.sis.models import HitReport
from granica.storage import Database
from tests.border.conftest import BCP, GUARD, SUPERVISOR, enter_alert, future_expiry, td3

pytestmark = pytest.mark.acceptance


def run_check(db: Database, req: CheckRequest, who: Principal = GUARD) -> service.CheckResult:
    with db.session() as s:
        return service.check(s, who, req, "border check at Batrovci")


def test_border_clean_traveller_gets_go(border_db: Database) -> None:
    mrz = td3("SMITH", "JOHN", "X1234567", "USA", "850101", future_expiry())
    result = run_check(border_db, CheckRequest(bcp=BCP, lane="E1", mrz=mrz))
    assert result.decision == "go", result.reasons
    assert result.complete and result.missed_sources == []
    assert result.kind == "thorough"  # a third-country national
    assert {s.name for s in result.sources if s.status == "ok"} >= {
        "sis_person", "sis_document", "sltd"}
    assert result.stay is not None and (result.stay.days_used, result.stay.days_remaining) == (0, 90)
    with border_db.session() as s:
        stored = s.get(BorderCheck, result.check_id)
        assert stored is not None and stored.decision == "go"
        assert s.scalar(sa.select(sa.func.count()).select_from(EntryExitRecord)) == 1
        audited = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "border.check")).all()
        assert [a.details["decision"] for a in audited] == ["go"]  # type: ignore[index]


def test_border_cyrillic_alert_gives_hit_with_action(border_db: Database) -> None:
    alert_id = enter_alert(border_db, "arrest", {
        "surname": "Петровић", "forenames": "Марко", "sex": "M", "date_of_birth": "1980-03-14",
        "nationalities": ["RS"], "warning_markers": ["armed"],
        "reason": "aggravated robbery", "issuing_authority": "Higher Court in Belgrade",
        "warrant_reference": "K-123/2026",
    })
    mrz = td3("PETROVIC", "MARKO", "012345678", "SRB", "800314", future_expiry())
    result = run_check(border_db, CheckRequest(bcp=BCP, lane="E1", mrz=mrz))
    assert result.decision == "hit"
    assert result.kind == "minimum"  # Serbian national: minimum check, but SIS is still asked
    assert result.hits[0].alert_id == alert_id
    assert result.hits[0].source == "national"  # this country's own arrest alert
    assert result.hits[0].action.startswith("Arrest the person")
    assert result.warnings and "armed" in result.warnings[0]
    with border_db.session() as s:
        reports = s.scalars(sa.select(HitReport)).all()
        assert [r.alert_id for r in reports] == [alert_id]
        assert reports[0].context["border_check"] == result.check_id  # type: ignore[index]
    # a traveller with the same name but another date of birth is not that person
    other = td3("PETROVIC", "MARKO", "987654321", "SRB", "950706", future_expiry())
    assert run_check(border_db, CheckRequest(bcp=BCP, mrz=other)).decision == "go"


class FailingSltd:
    def lookup(self, session: object, document_number: str, issuing_state: str) -> list[object]:
        raise ConnectionError("Interpol I-24/7 gateway unreachable")


class SlowSource:
    """A registry that answers only when the test lets it (long after the budget)."""

    name = "slow_registry"
    label = "Slow registry"

    def __init__(self) -> None:
        self.release = threading.Event()

    def applies(self, q: sources.TravellerQuery) -> bool:
        return True

    def query(self, session: object, principal: Principal, q: sources.TravellerQuery,
              purpose: str) -> list[sources.Hit]:
        self.release.wait(10)
        return []


def test_border_degraded_mode_refers_and_rechecks(border_db: Database,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # a budget the real sources meet even on a busy machine; the slow one never does
    monkeypatch.setenv("GRANICA_BORDER_SOURCE_BUDGET_MS", "2000")
    reset_settings()
    slow = SlowSource()
    sources.set_sltd_client(FailingSltd())
    sources.set_sources([*sources.default_sources(), slow])
    mrz = td3("SMITH", "JOHN", "X1234567", "USA", "850101", future_expiry())
    started = time.perf_counter()
    try:
        result = run_check(border_db, CheckRequest(bcp=BCP, lane="E1", mrz=mrz))
    finally:
        slow.release.set()
    assert time.perf_counter() - started < 8  # the check did not wait for the slow source
    assert result.decision == "refer"  # never a silent go
    assert result.complete is False
    assert {"sltd", "slow_registry"} <= set(result.missed_sources)
    assert any(r.code == "incomplete" and "Interpol SLTD" in r.message for r in result.reasons)
    assert result.recheck_queued
    with border_db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(EntryExitRecord)) == 0
        view = service.shift_queue(s, SUPERVISOR, BCP, "shift supervision")
        assert [c.id for c in view.checks] == [result.check_id]
        assert [r.check_id for r in view.rechecks] == [result.check_id]
    # the sources come back: the automatic re-check completes the check
    sources.set_sltd_client(sources.LocalSltdClient())
    sources.set_sources(None)
    with border_db.session() as s:
        done = service.recheck_pending(s, service_principal(), "automatic re-check")
    assert done == {"done": 1, "pending": 0, "hits": 0}
    with border_db.session() as s:
        item = s.scalars(sa.select(BorderRecheck)).one()
        assert item.status == "done" and item.outcome == "go"


def service_principal() -> Principal:
    from granica.auth.principal import system_principal

    return system_principal("automatic re-check")


def _bad_inputs() -> list[tuple[str, CheckRequest, str]]:
    good = td3("SMITH", "JOHN", "X1234567", "USA", "850101", "351231")
    line1, line2 = good.split("\n")
    wrong_digit = line1 + "\n" + line2[:9] + ("1" if line2[9] != "1" else "2") + line2[10:]
    return [
        ("garbled", CheckRequest(bcp=BCP, mrz="P<USASM1TH<<J0HN<<<\nX12345"), "mrz_unreadable"),
        ("check digit", CheckRequest(bcp=BCP, mrz=wrong_digit), "mrz_check_digit"),
        ("impossible date", CheckRequest(bcp=BCP, mrz=td3(
            "SMITH", "JOHN", "X1234567", "USA", "851341", "351231")), "impossible_date"),
        ("unknown country", CheckRequest(bcp=BCP, mrz=td3(
            "SMITH", "JOHN", "X1234567", "XQZ", "850101", "351231")), "unknown_country"),
        ("expired", CheckRequest(bcp=BCP, mrz=td3(
            "SMITH", "JOHN", "X1234567", "USA", "850101", "200101")), "document_expired"),
        ("no document", CheckRequest(bcp=BCP), "no_document"),
        ("typed without birth date", CheckRequest(bcp=BCP, document=TypedDocument(
            document_number="X1234567", issuing_state="USA", nationality="USA",
            surname="SMITH", given_names="JOHN", expiry_date="2035-12-31")),
         "incomplete_document"),
    ]


@pytest.mark.parametrize("case", range(7), ids=[c[0] for c in _bad_inputs()])
def test_border_bad_input_fails_closed(border_db: Database, case: int) -> None:
    _, req, code = _bad_inputs()[case]
    result = run_check(border_db, req)
    assert result.decision == "refer"
    assert code in [r.code for r in result.reasons], result.reasons
    with border_db.session() as s:
        stored = s.get(BorderCheck, result.check_id)
        assert stored is not None and stored.decision == "refer"
        assert s.scalar(sa.select(sa.func.count()).select_from(EntryExitRecord)) == 0
        audit = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "border.check")).one()
        assert result.check_id in audit.subject_ids


def test_border_second_check_of_same_crossing_fails_closed(border_db: Database) -> None:
    mrz = td3("SMITH", "JOHN", "X1234567", "USA", "850101", future_expiry())
    first = run_check(border_db, CheckRequest(bcp=BCP, mrz=mrz, crossing_ref="EGATE-7-000123"))
    again = run_check(border_db, CheckRequest(bcp=BCP, mrz=mrz, crossing_ref="EGATE-7-000123"))
    assert first.decision == "go"
    assert again.decision == "refer"
    assert {"duplicate_crossing", "already_entered"} <= {r.code for r in again.reasons}


def test_border_namesake_born_another_day_is_referred_not_reported(border_db: Database) -> None:
    """A traveller with a wanted person's name, born the year before on another day, is a
    possible match: shown to the guard and referred to second line, with no hit report
    for the SIRENE Bureau until second line has verified the identity."""
    alert_id = enter_alert(border_db, "arrest", {
        "surname": "Јовановић", "forenames": "Стефан", "sex": "M", "date_of_birth": "1988-09-02",
        "nationalities": ["RS"], "reason": "fraud", "issuing_authority": "Court in Novi Sad",
        "warrant_reference": "K-9/2026",
    })
    namesake = td3("JOVANOVIC", "STEFAN", "111222333", "SRB", "870417", future_expiry())
    result = run_check(border_db, CheckRequest(bcp=BCP, lane="E1", mrz=namesake))
    assert result.decision == "refer", result.reasons
    assert [(h.alert_id, h.match, h.hit_report_id) for h in result.hits] == [
        (alert_id, "possible", "")]
    assert "possible_match" in [r.code for r in result.reasons]
    assert alert_id in next(r.message for r in result.reasons if r.code == "possible_match")
    with border_db.session() as s:
        assert s.scalars(sa.select(HitReport)).all() == []
        stored = s.get(BorderCheck, result.check_id)
        assert stored is not None and stored.decision == "refer"
        assert stored.hits[0]["match"] == "possible"
    # the person himself (same date of birth) is a hit, reported to the bureau
    himself = td3("JOVANOVIC", "STEFAN", "444555666", "SRB", "880902", future_expiry())
    result = run_check(border_db, CheckRequest(bcp=BCP, lane="E1", mrz=himself))
    assert result.decision == "hit"
    assert [(h.alert_id, h.match) for h in result.hits] == [(alert_id, "strong")]
    with border_db.session() as s:
        reports = s.scalars(sa.select(HitReport)).all()
        assert [(r.alert_id, r.context["border_check"]) for r in reports] == [  # type: ignore[index]
            (alert_id, result.check_id)]
