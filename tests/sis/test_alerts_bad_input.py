"""Acceptance: bad input gets a clear error naming the field or line, on both databases,
and an import that fails part-way stores the good lines and nothing half-written."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

from granica.auth.principal import Principal
from granica.errors import InputFormatError, TooLargeError, ValidationError
from granica.sis import service
from granica.sis.models import Alert, AlertIdentifier, AlertNameKey
from granica.sis.validation import DuplicateAlertError
from granica.storage import Database
from tests.sis.conftest import arrest_payload, vehicle_payload

pytestmark = [pytest.mark.acceptance, pytest.mark.db]


def _with(payload: dict[str, Any], **data: Any) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    out["data"].update(data)
    return out


BAD = [
    ("unknown category", {"category": "stolen_bicycle", "data": {}}, ValidationError, "category"),
    ("unknown field", _with(arrest_payload(), shoe_size="44"), ValidationError, "data.shoe_size"),
    ("unknown top-level field", {**arrest_payload(), "priority": "high"}, ValidationError, "priority"),
    ("missing mandatory", {"category": "arrest", "data": {"surname": "X", "forenames": "Y", "sex": "M",
                                                          "reason": "r", "issuing_authority": "a",
                                                          "date_of_birth": "1980-01-01"}},
     ValidationError, "data.warrant_reference"),
    ("31 February", _with(arrest_payload(), date_of_birth="1980-02-31"), ValidationError,
     "data.date_of_birth"),
    ("future birth", _with(arrest_payload(), date_of_birth="2999-01-01"), ValidationError,
     "data.date_of_birth"),
    ("over-long", _with(arrest_payload(), surname="J" * 101), ValidationError, "data.surname"),
    ("bad choice", _with(arrest_payload(), sex="male"), ValidationError, "data.sex"),
    ("bad country", _with(arrest_payload(), nationalities=["Serbia"]), ValidationError,
     "data.nationalities"),
    ("bad VIN", _with(vehicle_payload(), vin="WVWZZZ1KZ8W00001O"), ValidationError, "data.vin"),
    ("document issued in the future", _with(arrest_payload(), identity_documents=[
        {"type": "passport", "number": "123456789", "country": "RS", "issue_date": "2999-01-01"}]),
     ValidationError, "data.identity_documents[0].issue_date"),
]


def test_alerts_bad_input_names_the_field(database: Database, officer: Principal) -> None:
    # one database for all cases (a fresh PostgreSQL database per case costs seconds each)
    for case, payload, error, field in BAD:
        with pytest.raises(error) as info, database.session() as s:
            service.create_alert(s, officer, payload, purpose="t")
        assert info.value.field == field, (case, info.value.message)
        assert field in info.value.message, case
    with database.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Alert)) == 0


def test_alerts_duplicate_object_alert(database: Database, officer: Principal) -> None:
    with database.session() as s:
        service.create_alert(s, officer, vehicle_payload(), purpose="t")
    with pytest.raises(DuplicateAlertError, match="data.vin") as info, database.session() as s:
        service.create_alert(s, officer, vehicle_payload(plate="NS 1-AA"), purpose="t")
    assert info.value.http_status == 409


def _line(sid: str, payload: dict[str, Any], country: str = "DE") -> str:
    return json.dumps({"schengen_id": sid, "issuing_country": country, **payload}, ensure_ascii=False)


def test_alerts_import_part_way_stores_good_lines_and_reports_bad_ones(
        database: Database, sirene: Principal) -> None:
    lines = [
        _line("DE1000000000001", arrest_payload()),                                   # 1 good
        '{"schengen_id": "DE1000000000002", "category": "arrest", ',                  # 2 malformed
        _line("DE1000000000003", _with(arrest_payload(), date_of_birth="1980-02-30")),  # 3 date
        _line("DE1000000000001", arrest_payload()),                                   # 4 duplicate
        "",                                                                           # blank: skipped
        _line("DE1000000000005", vehicle_payload()),                                  # 6 good
        json.dumps(["not", "an", "object"]),                                          # 7 not an alert
        _line("DE1000000000008", {"category": "arrest", "data": {"surname": "X"}}),   # 8 mandatory
        json.dumps({"category": "arrest", "data": arrest_payload()["data"]}),        # 9 no schengen id
    ]
    with database.session() as s:
        report = service.import_alerts(s, sirene, lines, purpose="t", batch_size=3)
    assert report.imported == 2 and report.read == 8
    by_line = {r["line"]: r for r in report.rejected}
    assert sorted(by_line) == [2, 3, 4, 7, 8, 9]
    assert by_line[2]["error"] == "input_format_error" and "line 2" in by_line[2]["message"]
    assert by_line[3]["field"] == "data.date_of_birth"
    assert by_line[4]["error"] == "duplicate_alert"
    assert by_line[8]["field"].startswith("data.")
    assert by_line[9]["field"] == "schengen_id"
    with database.session() as s:
        assert sorted(s.scalars(sa.select(Alert.schengen_id))) == ["DE1000000000001", "DE1000000000005"]
        # nothing half-written: every key and identifier belongs to a stored alert
        orphans = s.scalar(sa.select(sa.func.count()).select_from(AlertNameKey).where(
            AlertNameKey.alert_id.not_in(sa.select(Alert.id))))
        assert orphans == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(AlertIdentifier)) >= 2
    # a second run of the same file adds nothing and says why
    with database.session() as s:
        again = service.import_alerts(s, sirene, lines, purpose="t")
    assert again.imported == 0
    assert any("already in the register" in r["message"] for r in again.rejected)


def test_alerts_import_batch_failing_in_the_database_keeps_the_other_lines(
        database: Database, sirene: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line that passes validation but breaks in the database (here: a forced failure)
    is reported alone; its batch-mates are stored whole."""
    real = service._store_batch

    def flaky(session: Any, rows: list[dict[str, Any]]) -> None:
        if any(r["schengen_id"] == "DE2000000000002" for r in rows):
            # the alert row goes in, then its index insert fails: the savepoint must undo it
            session.execute(Alert.__table__.insert(), [r for r in rows if r["schengen_id"] == "DE2000000000002"])
            raise sa.exc.DBAPIError("INSERT", {}, Exception("forced failure"))
        real(session, rows)

    monkeypatch.setattr(service, "_store_batch", flaky)
    lines = [_line(f"DE200000000000{i}", _with(arrest_payload(), warrant_reference=f"EAW-{i}"))
             for i in (1, 2, 3)]
    with database.session() as s:
        report = service.import_alerts(s, sirene, lines, purpose="t")
    assert report.imported == 2
    assert [r["line"] for r in report.rejected] == [2]
    with database.session() as s:
        assert sorted(s.scalars(sa.select(Alert.schengen_id))) == ["DE2000000000001", "DE2000000000003"]


def test_alerts_oversized_upload_and_line(database: Database, sirene: Principal) -> None:
    line = _line("DE3000000000001", arrest_payload()).encode()
    with pytest.raises(TooLargeError, match="line 3"), database.session() as s:
        service.import_alerts(s, sirene, io.BytesIO(line + b"\n" + line + b"\n" + line + b"\n"),
                              purpose="t", max_bytes=len(line) * 2 + 10)
    huge = json.dumps({"category": "arrest", "data": {"reason": "x" * 300_000}}).encode()
    with database.session() as s:
        report = service.import_alerts(s, sirene, [huge], purpose="t")
    assert report.rejected[0]["error"] == InputFormatError.code
    assert "longer than" in report.rejected[0]["message"]


def test_alerts_import_needs_permission(database: Database, guard: Principal) -> None:
    from granica.errors import PermissionDenied

    with pytest.raises(PermissionDenied), database.session() as s:
        service.import_alerts(s, guard, [_line("DE4000000000001", arrest_payload())], purpose="t")
