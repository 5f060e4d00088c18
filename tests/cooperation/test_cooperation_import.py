"""Spreadsheet imports: all rows or none, every problem named by row and column."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from granica.cooperation import service, tabular
from granica.errors import InputFormatError, ValidationError
from granica.storage import Database
from tests.cooperation.conftest import BCP, CUSTOMS

pytestmark = pytest.mark.db

HEADER = "occurred_at;bcp;category;quantity;hs_code;vehicle_plate;carrier;origin;destination\n"


def _rows(n: int, bad_at: int | None = None) -> str:
    lines = [HEADER]
    for i in range(n):
        quantity = "-5" if i == bad_at else f"{1000 + i},5"
        lines.append(f"2026-11-{1 + i % 28:02d}T10:00:00Z;{BCP};cigarettes;{quantity};240220;"
                     f"BG{i:04d}AB;Trans Balkan;TR;DE\n")
    return "".join(lines)


def _import(db: Database, data: bytes, encoding: str = "utf-8") -> dict[str, object]:
    with db.session() as s:
        return service.import_records(s, CUSTOMS, "seizure",
                                      tabular.read_csv("seizure", io.BytesIO(data), "seizures.csv",
                                                       encoding), purpose="import")


def test_a_csv_is_imported_with_decimal_commas(coop_db: Database) -> None:
    result = _import(coop_db, _rows(30).encode())
    assert result["imported"] == 30
    with coop_db.session() as s:
        found = service.list_records(s, CUSTOMS, purpose="x", key_kind="vehicle",
                                     key_value="BG0007AB")
        assert found.records[0].data["goods"][0]["quantity"] == 1007.5


def test_one_bad_row_stops_the_import_and_stores_nothing(coop_db: Database) -> None:
    with pytest.raises(ValidationError, match=r"seizures.csv line 13: field 'goods.0.quantity'"):
        _import(coop_db, _rows(30, bad_at=11).encode())
    with coop_db.session() as s:
        assert service.list_records(s, CUSTOMS, purpose="x").total == 0


def test_broken_encoding_and_unknown_columns_are_named(coop_db: Database) -> None:
    data = (HEADER + f"2026-11-02T10:00:00Z;{BCP};cigarettes;5;2402;Š1;Trans;TR;DE\n").encode(
        "cp1250")
    with pytest.raises(InputFormatError, match="line 2.*--encoding"):
        _import(coop_db, data)
    assert _import(coop_db, data, encoding="cp1250")["imported"] == 1
    with pytest.raises(ValidationError, match="unknown column.*'colour'"):
        _import(coop_db, b"occurred_at;colour\n2026-11-02T10:00:00Z;red\n")
    with pytest.raises(ValidationError, match="no records"):
        _import(coop_db, HEADER.encode())


def test_an_xlsx_workbook_is_imported(coop_db: Database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["occurred_at", "bcp", "type", "persons_total", "minors", "nationalities"])
    sheet.append(["2026-11-03T02:00:00Z", None, "unauthorised_crossing", 14, 2, "AF, SY"])
    sheet.append(["2026-11-04T03:00:00Z", BCP, "document_fraud", 1, 0, "TR"])
    path = tmp_path / "incidents.xlsx"
    book.save(path)
    with coop_db.session() as s:
        result = service.import_records(s, CUSTOMS, "incident", tabular.read_xlsx("incident", path),
                                        purpose="import")
    assert result["imported"] == 2
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFormatError, match="not a readable XLSX"):
        list(tabular.read_xlsx("incident", tmp_path / "broken.xlsx"))


def test_the_command_line_import_shows_progress(coop_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "seizures.csv"
    path.write_text(_rows(5), encoding="utf-8")
    env = {"GRANICA_DATABASE_URL": coop_db.url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "granica", "cooperation", "import", str(path),
                           "--kind", "seizure", "--agency", "CUSTOMS", "--json"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] == 5
    assert "5 rows imported" in done.stderr
    bad = subprocess.run([sys.executable, "-m", "granica", "cooperation", "import", str(path),
                          "--kind", "seizure"], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert bad.returncode != 0 and "--agency" in bad.stderr


def test_flat_columns_become_the_nested_parts_of_each_kind() -> None:
    inspection = ("occurred_at,ched_type,hs_code,net_weight_kg,documentary,decision,"
                  "refusal_reasons,country_of_origin\n"
                  "2026-11-02T10:00:00Z,CHED-P,0207,1 200,satisfactory,acceptable,, tr\n")
    [(where, payload)] = list(tabular.read_csv("inspection", io.BytesIO(inspection.encode()),
                                               "ched.csv"))
    assert where == "ched.csv line 2"
    assert payload == {"occurred_at": "2026-11-02T10:00:00Z", "ched_type": "CHED-P",
                       "country_of_origin": "TR", "decision": "acceptable",
                       "checks": {"documentary": "satisfactory"},
                       "commodities": [{"hs_code": "0207", "net_weight_kg": 1200.0}]}
    seizure = tabular.row_to_payload("seizure", {"occurred_at": "2026-11-02", "category": "cash",
                                                 "quantity": "5", "person_name": "Ana",
                                                 "person_nationality": "rs", "carrier": ""},
                                     "row 2")
    assert seizure == {"occurred_at": "2026-11-02", "goods": [{"category": "cash",
                                                               "quantity": 5.0}],
                       "persons": [{"name": "Ana", "nationality": "RS"}]}
    assert "persons" not in tabular.row_to_payload("seizure", {"occurred_at": "x"}, "row 3")


def test_the_collector_runs_again_after_an_import(coop_db: Database) -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(ValidationError):
        _import(coop_db, _rows(3, bad_at=1).encode())
    assert gc.isenabled()
    assert _import(coop_db, _rows(3).encode())["imported"] == 3
    assert gc.isenabled()


def test_a_bad_row_after_stored_chunks_still_leaves_nothing(coop_db: Database) -> None:
    # chunks of 7: three are written before line 26 is read, and all three roll back
    with pytest.raises(ValidationError, match=r"seizures.csv line 26: field 'goods.0.quantity'"
                       ) as raised, coop_db.session() as s:
        service.import_records(s, CUSTOMS, "seizure", tabular.read_csv(
            "seizure", io.BytesIO(_rows(40, bad_at=24).encode()), "seizures.csv"),
            purpose="import", chunk=7)
    assert raised.value.field == "goods.0.quantity"
    with coop_db.session() as s:
        assert service.list_records(s, CUSTOMS, purpose="x").total == 0


def test_a_chunked_import_is_audited_once_with_every_record(coop_db: Database) -> None:
    import sqlalchemy as sa

    from granica.audit.models import AuditEntry
    from granica.cooperation.models import CoopRecord

    shown: list[int] = []
    with coop_db.session() as s:
        result = service.import_records(s, CUSTOMS, "seizure", tabular.read_csv(
            "seizure", io.BytesIO(_rows(30).encode()), "seizures.csv"), purpose="import",
            progress=shown.append, chunk=7)
    assert result["imported"] == 30 and shown == [7, 14, 21, 28, 30]
    with coop_db.session() as s:
        entries = s.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "cooperation.seizure.import")).all()
        ids = set(s.scalars(sa.select(CoopRecord.id).where(
            CoopRecord.import_batch == result["batch"])))
    assert len(entries) == 1 and len(ids) == 30
    assert set(entries[0].subject_ids) == ids and entries[0].result_count == 30


def test_an_import_stopped_midway_stores_nothing_and_stops_its_reader(
        coop_db: Database) -> None:
    closed: list[bool] = []

    def rows() -> Iterator[tuple[str, dict[str, object]]]:
        try:
            yield from tabular.read_csv("seizure", io.BytesIO(_rows(40).encode()), "a.csv")
        finally:
            closed.append(True)

    def progress(done: int) -> None:  # the officer presses Ctrl-C after the first chunk
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), coop_db.session() as s:
        service.import_records(s, CUSTOMS, "seizure", rows(), purpose="import",
                               progress=progress, chunk=6)
    assert closed == [True]  # the file may be closed at once: nothing reads it any more
    with coop_db.session() as s:
        assert service.list_records(s, CUSTOMS, purpose="x").total == 0
