"""Shared records: validation by the code lists, ownership, sharing by rule, audit."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from granica import clock
from granica.audit.models import AuditEntry
from granica.cooperation import service
from granica.errors import ConflictError, PermissionDenied, ValidationError
from granica.storage import Database
from tests.cooperation.conftest import (
    ANALYST,
    ASYLUM,
    BCP,
    CUSTOMS,
    GUARD,
    OTHER_BCP,
    SUPERVISOR,
    VET,
    seizure,
)

pytestmark = pytest.mark.db


def test_a_seizure_is_recorded_with_its_goods_and_shared_by_rule(coop_db: Database) -> None:
    with coop_db.session() as s:
        out = service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="customs control")
    assert out.reference.startswith("SZ-RS-")
    assert out.owner_agency == "CUSTOMS"
    assert "BORDER_POLICE" in out.shared_with and "CUSTOMS" not in out.shared_with
    assert "120000 pieces cigarettes" in out.summary
    with coop_db.session() as s:
        seen = service.get_record(s, GUARD, out.reference, purpose="border check")
        assert seen.id == out.id
    with coop_db.session() as s:  # the read's audit row, chained once the read committed
        rows = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "cooperation.read")
                         ).all()
        assert [r.subject_ids for r in rows] == [[out.id]]


def test_an_agency_the_record_is_not_shared_with_cannot_see_it(coop_db: Database) -> None:
    with coop_db.session() as s:
        out = service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="customs control")
    with coop_db.session() as s, pytest.raises(PermissionDenied, match="not shared with"):
        service.get_record(s, VET, out.id, purpose="inspection")
    with coop_db.session() as s:
        listed = service.list_records(s, VET, purpose="inspection")
        assert listed.total == 0
        denied = s.scalars(sa.select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert len(denied) == 1 and denied[0].subject_ids == [out.id]
    with coop_db.session() as s, pytest.raises(PermissionDenied, match="cooperation.read"):
        service.list_records(s, ASYLUM, purpose="asylum procedure")


def test_only_the_owner_agency_edits_and_from_the_version_it_read(coop_db: Database) -> None:
    with coop_db.session() as s:
        out = service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="customs control")
    changed = seizure(goods=[{"category": "cigarettes", "quantity": 150000, "hs_code": "2402"}])
    with coop_db.session() as s, pytest.raises(PermissionDenied, match="belongs to CUSTOMS"):
        service.update_record(s, SUPERVISOR, out.id, changed, purpose="x", expected_version=1)
    with coop_db.session() as s:
        updated = service.update_record(s, CUSTOMS, out.id, changed, purpose="correction",
                                        expected_version=1)
    assert updated.version == 2 and "150000" in updated.summary
    with coop_db.session() as s, pytest.raises(ConflictError, match="version 2"):
        service.update_record(s, CUSTOMS, out.id, changed, purpose="again", expected_version=1)
    with coop_db.session() as s:
        found = service.list_records(s, CUSTOMS, purpose="x", key_kind="commodity",
                                     key_value="2402")
        assert [r.id for r in found.records] == [out.id]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"goods": [{"category": "drugs", "quantity": 5}]}, "goods.0", "needs substance"),
    ({"goods": [{"category": "cocoa", "quantity": 5}]}, "goods.0", "unknown goods category"),
    ({"goods": [{"category": "cigarettes", "quantity": -3}]}, "goods.0.quantity", "greater than 0"),
    ({"goods": [{"category": "fuel", "quantity": 10, "un_number": "9999"}]}, "goods.0.un_number",
     "unknown UN number"),
    ({"goods": [{"category": "counterfeit", "quantity": 10, "hs_code": "1X"}]}, "goods.0.hs_code",
     "2, 4, 6, 8 or 10 digits"),
    ({"occurred_at": "2031-01-01T00:00:00Z"}, "occurred_at", "in the future"),
    ({"occurred_at": "1970-05-01T00:00:00Z"}, "occurred_at", "before 1990"),
    ({"bcp": "RS-NOWHERE"}, "bcp", "unknown border crossing point"),
    ({"shared_with": ["FBI"]}, "shared_with", "unknown agency"),
])
def test_bad_input_names_the_field_and_stores_nothing(coop_db: Database, change: dict[str, object],
                                                      field: str, message: str) -> None:
    with coop_db.session() as s, pytest.raises(ValidationError, match=message) as err:
        service.create_record(s, CUSTOMS, "seizure", seizure(**change), purpose="customs control")
    assert err.value.field == field
    with coop_db.session() as s:
        assert service.list_records(s, CUSTOMS, purpose="x").total == 0


def test_inspection_incident_and_case_follow_their_models(coop_db: Database) -> None:
    when = (clock.now() - dt.timedelta(days=1)).isoformat()
    inspection = {"occurred_at": when, "bcp": BCP, "ched_type": "CHED-P",
                  "consignor": "Meso Export AD", "consignee": "Fleisch GmbH",
                  "country_of_origin": "MK", "transport_mode": "lorry",
                  "transport_id": "SK 555 AA",
                  "commodities": [{"hs_code": "0201", "net_weight_kg": 20000}],
                  "checks": {"documentary": "satisfactory", "physical": "not_satisfactory"},
                  "decision": "not_acceptable", "not_acceptable_action": "destruction",
                  "refusal_reasons": ["physical"]}
    with coop_db.session() as s:
        out = service.create_record(s, VET, "inspection", inspection, purpose="inspection")
        assert out.category == "CHED-P"
    with coop_db.session() as s, pytest.raises(ValidationError, match="refusal_reasons"):
        service.create_record(s, VET, "inspection", {**inspection, "refusal_reasons": []},
                              purpose="inspection")
    incident = {"occurred_at": when, "type": "unauthorised_crossing", "persons_total": 12,
                "minors": 3, "nationalities": ["AF", "SY"], "impact_level": "medium",
                "location": "Šid, 2 km north of the crossing point"}
    with coop_db.session() as s:
        out = service.create_record(s, SUPERVISOR, "incident", incident, purpose="surveillance")
        assert out.kind == "incident"
    with coop_db.session() as s, pytest.raises(ValidationError, match="cannot exceed"):
        service.create_record(s, CUSTOMS, "incident", {**incident, "minors": 20}, purpose="x")
    case = {"occurred_at": when, "case_type": "smuggling", "title": "Route Preševo-Šid",
            "route": ["MK", "RS", "HU"], "suspects": [{"name": "Petar Petrović",
                                                        "role": "driver"}],
            "victims": 9, "vehicles": ["NI 123 XY"]}
    with coop_db.session() as s:
        assert service.create_record(s, CUSTOMS, "case", case, purpose="investigation").kind == "case"
    with coop_db.session() as s:
        listed = service.list_records(s, ANALYST, purpose="risk analysis")
        # the inspection and the incident reach the analysts; the case only the police
        assert sorted(r.kind for r in listed.records) == ["incident", "inspection"]


def test_a_search_by_crossing_point_or_reference_reads_the_records_columns(
        coop_db: Database) -> None:
    with coop_db.session() as s:
        here = service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="x")
        there = service.create_record(s, CUSTOMS, "seizure", seizure(bcp=OTHER_BCP), purpose="x")
        case = service.create_record(s, CUSTOMS, "case", {
            "occurred_at": (clock.now() - dt.timedelta(hours=1)).isoformat(),
            "case_type": "smuggling", "title": "Cigarettes to Germany",
            "linked_records": [here.reference.lower().replace("-", " ")]}, purpose="x")
    with coop_db.session() as s:
        # written another way, the crossing point is still found by its normalised form
        at = service.list_records(s, CUSTOMS, purpose="x", key_kind="bcp",
                                  key_value=BCP.lower().replace("-", " "))
        assert [r.id for r in at.records] == [here.id]
        named = service.list_records(s, CUSTOMS, purpose="x", key_kind="ref",
                                     key_value=here.reference)
        assert sorted(r.id for r in named.records) == sorted([here.id, case.id])
        alone = service.list_records(s, CUSTOMS, purpose="x", key_kind="ref",
                                     key_value=there.reference)
        assert [r.id for r in alone.records] == [there.id]
        assert service.list_records(s, CUSTOMS, purpose="x", key_kind="ref",
                                    key_value="SZ-RS-1999-0000000000").total == 0


def test_a_crossing_point_subscription_is_told_of_an_imported_record(coop_db: Database) -> None:
    from granica.cooperation import tabular
    from granica.cooperation.schemas import SubscriptionIn

    with coop_db.session() as s:
        service.subscribe(s, SUPERVISOR, SubscriptionIn(kind="bcp", value=OTHER_BCP.lower()),
                          purpose="watch a crossing point")
    when = (clock.now() - dt.timedelta(hours=1)).isoformat()
    rows = (f"occurred_at;bcp;category;quantity\n{when};{BCP};cigarettes;200\n"
            f"{when};{OTHER_BCP};cigarettes;400\n").encode()
    with coop_db.session() as s:
        service.import_records(s, CUSTOMS, "seizure",
                               tabular.read_csv("seizure", io.BytesIO(rows), "day.csv"),
                               purpose="x")
    with coop_db.session() as s:
        notices = service.notifications(s, SUPERVISOR)
        at = service.list_records(s, CUSTOMS, purpose="x", key_kind="bcp", key_value=OTHER_BCP)
    assert [n.record_reference for n in notices] == [r.reference for r in at.records]
    assert len(notices) == 1 and "400 pieces" in notices[0].message


def test_links_join_a_case_and_the_records_it_names_both_ways(coop_db: Database) -> None:
    with coop_db.session() as s:
        named = service.create_record(s, CUSTOMS, "seizure", seizure(), purpose="x")
        other = service.create_record(s, CUSTOMS, "seizure", seizure(
            vehicle_plate="NS 001 AA", carrier="Other d.o.o."), purpose="x")
        case = service.create_record(s, CUSTOMS, "case", {
            "occurred_at": (clock.now() - dt.timedelta(hours=1)).isoformat(),
            "case_type": "smuggling", "title": "Cigarettes to Germany",
            "linked_records": [named.reference]}, purpose="x")
    for start, end in ((case.id, named.id), (named.id, case.id)):
        with coop_db.session() as s:
            graph = service.links(s, CUSTOMS, start, purpose="analysis", depth=1)
        assert {n["id"] for n in graph["nodes"]} == {start, end}
        assert [e["kind"] for e in graph["edges"]] == ["ref"]
        assert other.id not in {n["id"] for n in graph["nodes"]}
