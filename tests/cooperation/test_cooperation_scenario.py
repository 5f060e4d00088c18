"""The issue's scenario: a customs seizure notifies the subscribed border police, a joint
risk profile flags the next truck of the same carrier at a guard's check, and the monthly
report shows the seizure and the profile's hit rate."""

from __future__ import annotations

import datetime as dt

import pytest

from granica import clock
from granica.analysis import service as analysis
from granica.border import service as border
from granica.border.schemas import CheckRequest
from granica.cooperation import service
from granica.cooperation.schemas import ProfileIn, SubscriptionIn
from granica.errors import ValidationError
from granica.storage import Database
from tests.border.conftest import future_expiry, td3
from tests.cooperation.conftest import ANALYST, BCP, CUSTOMS, GUARD, SUPERVISOR, seizure

pytestmark = [pytest.mark.db]


@pytest.mark.acceptance
def test_cooperation_seizure_subscription_profile_and_report(coop_db: Database) -> None:
    clock.freeze(dt.datetime(2026, 11, 14, 9, 30, tzinfo=dt.UTC))
    try:
        with coop_db.session() as s:
            service.subscribe(s, SUPERVISOR, SubscriptionIn(kind="vehicle", value="bg-1234-ab",
                                                            urgent=True, bcp=BCP),
                              purpose="watch a truck")
        with coop_db.session() as s:
            record = service.create_record(s, CUSTOMS, "seizure", seizure(),
                                           purpose="customs control")
        # the guard at the crossing point sees the urgent notice of the shift
        with coop_db.session() as s:
            notices = service.notifications(s, GUARD)
        assert [n.record_reference for n in notices] == [record.reference]
        assert notices[0].urgent and "BG 1234 AB" in notices[0].message
        # customs and border police write a profile together on the carrier
        with coop_db.session() as s:
            profile = service.create_profile(s, CUSTOMS, ProfileIn(
                name="Trans Balkan cigarettes", reason="carrier of a cigarette seizure on "
                "14 Nov: search the trailer floor",
                criteria={"carrier": ["TRANS BALKAN DOO"], "commodity": ["24"]},
                agencies=["BORDER_POLICE"]), purpose="risk profile")
        assert profile.agencies == ["BORDER_POLICE", "CUSTOMS"]
        clock.advance(dt.timedelta(days=2))
        # the next truck of the same carrier at a guard's check: the profile flags it there
        driver = td3("MARKOVIC", "NIKOLA", "BG0098765", "BGR", "800214", future_expiry())
        with coop_db.session() as s:
            flagged = border.check(s, GUARD, CheckRequest(
                bcp=BCP, lane="E1", direction="entry", mrz=driver, vehicle_plate="BG 9876 CD",
                vehicle_country="BG", carrier="Trans-Balkan DOO", commodity="240220",
                origin="TR", destination="DE"), "border check")
        with coop_db.session() as s:  # each check is its own unit of work, as at the lane
            other = border.check(s, GUARD, CheckRequest(
                bcp=BCP, lane="E1", direction="entry",
                mrz=td3("IVANOV", "PETAR", "BG0011111", "BGR", "790101", future_expiry()),
                vehicle_plate="BG 1111 AA", carrier="Other Logistics", commodity="240220"),
                "border check")
        assert flagged.decision == "refer" and other.decision == "go", other.reasons
        [why] = [r for r in flagged.reasons if r.code == "risk_profile"]
        assert "Trans Balkan cigarettes" in why.message and "trailer floor" in why.message
        with coop_db.session() as s:  # the flag is kept with the check, for the hit rate
            stored = border.get_check(s, SUPERVISOR, flagged.check_id, "review")
            assert stored.decision == "refer"
        # the second truck carried cigarettes too: customs records it, the flag counts as found
        with coop_db.session() as s:
            service.create_record(s, CUSTOMS, "seizure", seizure(
                vehicle_plate="BG 9876 CD", occurred_at=clock.now().isoformat()),
                purpose="customs control")
        with coop_db.session() as s:
            report = analysis.monthly_report(s, ANALYST, "2026-11", purpose="monthly report")
        assert report["seizures_by_goods"]["cigarettes"]["seizures"] == 2
        assert report["seizures_by_bcp"] == {BCP: 2}
        [rate] = report["risk_profiles"]
        assert rate["name"] == "Trans Balkan cigarettes" and rate["hit_rate"] == 1.0
    finally:
        clock.reset()


def test_a_subscription_matching_too_much_is_refused(coop_db: Database,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from granica.cooperation import codelists as lists

    monkeypatch.setitem(lists.codelists().limits, "subscription_max_matches", 3)
    with coop_db.session() as s:
        for _ in range(4):
            service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="x")
    with coop_db.session() as s, pytest.raises(ValidationError, match="more than 3 records"):
        service.subscribe(s, SUPERVISOR, SubscriptionIn(kind="bcp", value=BCP), purpose="x")
    with coop_db.session() as s:
        service.subscribe(s, SUPERVISOR, SubscriptionIn(kind="company", value="Other d.o.o."),
                          purpose="x")


def test_the_owner_is_not_notified_of_its_own_records(coop_db: Database) -> None:
    with coop_db.session() as s:
        service.subscribe(s, CUSTOMS, SubscriptionIn(kind="company", value="Trans Balkan"),
                          purpose="x")
        service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="x")
        assert service.notifications(s, CUSTOMS) == []


def test_links_find_the_same_person_across_scripts_and_records(coop_db: Database) -> None:
    when = (clock.now() - dt.timedelta(days=3)).isoformat()
    with coop_db.session() as s:
        a = service.create_record(s, CUSTOMS, "seizure", seizure(
            persons=[{"name": "Petar Petrović", "role": "driver", "phone": "+381 64 111 222"}]),
            purpose="x")
        b = service.create_record(s, CUSTOMS, "case", {
            "occurred_at": when, "case_type": "smuggling", "title": "Route Preševo-Šid",
            "suspects": [{"name": "Петар Петровић", "role": "driver"}],
            "shared_with": ["CUSTOMS"]}, purpose="x")
        c = service.create_record(s, CUSTOMS, "seizure", seizure(
            vehicle_plate="SU 777 ZZ", carrier=None,
            persons=[{"name": "Jovana Ilić", "phone": "+38164111222"}]), purpose="x")
    with coop_db.session() as s:
        graph = service.links(s, CUSTOMS, a.id, purpose="analysis")
    ids = {n["id"] for n in graph["nodes"]}
    assert {a.id, b.id, c.id} <= ids
    kinds = {e["kind"] for e in graph["edges"]}
    assert {"person", "phone"} <= kinds
