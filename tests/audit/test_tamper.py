"""Issue 10, audit log integrity: each tamper case edits the database or the anchors file
directly, the way someone with file or database access would, and asserts what
`granica audit verify` says (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from granica import clock
from granica.audit.service import record
from granica.audit.signing import read_anchors, sign_head
from granica.auth.principal import Principal
from granica.cli import app
from granica.settings import get_settings
from granica.storage import Database

pytestmark = pytest.mark.db

runner = CliRunner()
GUARD = Principal(user_id="u-guard", username="guard1", agency="BORDER_POLICE",
                  roles=frozenset({"border_guard"}), permissions=frozenset({"border.check"}))


def _write(db: Database, n: int, *, start: int = 0) -> None:
    with db.session() as s:
        for i in range(start, start + n):
            record(s, GUARD, "alerts.read", purpose="border check", subject_type="alert",
                   subject_ids=[f"alert-{i}", f"person-{i}"], result_count=1)


def _verify() -> tuple[int, dict[str, object]]:
    """`granica audit verify --json`: its exit code and its JSON answer."""
    result = runner.invoke(app, ["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _sql(db: Database, *statements: str) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def test_changed_subject_ids_are_detected(database: Database) -> None:
    _write(database, 5)
    assert _verify()[0] == 0
    # which alert was read: rewritten in the row and in the index, as one hiding an access would
    _sql(database, """UPDATE audit_log SET subject_ids = '["alert-99", "person-2"]' WHERE seq = 3""",
         "UPDATE audit_subject SET subject_id = 'alert-99' WHERE seq = 3 AND subject_id = 'alert-2'")
    code, out = _verify()
    assert code == 1 and out["ok"] is False
    assert out["problem"] == "changed" and out["first_bad_seq"] == 3
    assert "row 3 was changed" in str(out["message"])


@pytest.mark.parametrize(("statement", "problem", "seq", "says"), [
    # the row stays intact; only what the DPO's subject-access report reads goes
    ("DELETE FROM audit_subject WHERE seq = 4 AND subject_id = 'person-3'", "index_removed", 4,
     "row 4's subject index lost 1 of its 2 subjects (person-3)"),
    ("INSERT INTO audit_subject (seq, subject_id) VALUES (2, 'alert-77')", "index_inserted", 2,
     "row 2's subject index names alert-77"),
], ids=["deleted", "added"])
def test_edited_index_rows_are_detected(database: Database, statement: str, problem: str,
                                        seq: int, says: str) -> None:
    _write(database, 5)
    _sql(database, statement)
    code, out = _verify()
    assert code == 1 and out["problem"] == problem and out["first_bad_seq"] == seq
    assert says in str(out["message"])


def test_index_intact_after_bulk_rows(database: Database) -> None:
    with database.session() as s:  # more subjects than one insert chunk, rows across batches
        record(s, GUARD, "alerts.import", purpose="load", subject_type="alert",
               subject_ids=[f"alert-{i}" for i in range(2500)], result_count=2500)
    _write(database, 2100)
    code, out = _verify()
    assert code == 0, out["message"]
    assert out["rows_checked"] == 2101 and out["index_rows_checked"] == 2500 + 2 * 2100


def test_index_rows_of_no_audit_row_are_detected(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("PostgreSQL always enforces the index's foreign key to audit_log")
    _write(database, 3)
    # the sqlite3 shell leaves foreign keys off: an index row can point past the log
    with sqlite3.connect(database.engine.url.database or "") as conn:
        conn.execute("INSERT INTO audit_subject (seq, subject_id) VALUES (9, 'alert-77')")
    code, out = _verify()
    assert code == 1 and out["problem"] == "index_inserted" and out["first_bad_seq"] == 9
    assert "audit rows that do not exist (9)" in str(out["message"])


def _truncate_log(db: Database, keep: int) -> None:
    """Delete the rows after `keep` and move the head back to it, as a DBA hiding them would."""
    _sql(db, f"DELETE FROM audit_subject WHERE seq > {keep}",
         f"DELETE FROM audit_log WHERE seq > {keep}",
         f"UPDATE audit_head SET seq = {keep}, head_hash = "
         f"(SELECT row_hash FROM audit_log WHERE seq = {keep})")


def test_removed_tail_with_head_moved_back_is_caught_by_anchor(database: Database) -> None:
    _write(database, 6)
    assert sign_head(database) is not None
    _truncate_log(database, 4)
    code, out = _verify()
    assert code == 1 and out["problem"] == "removed" and out["first_bad_seq"] == 5
    assert "covers row 6" in str(out["message"])


def test_verify_reports_the_unprotected_window(database: Database) -> None:
    clock.freeze(dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC))
    _write(database, 3)
    sign_head(database)
    clock.advance(dt.timedelta(seconds=2))
    _write(database, 2, start=3)
    clock.advance(dt.timedelta(seconds=1.5))
    code, out = _verify()
    assert code == 0 and out["last_anchor_seq"] == 3 and out["unanchored_rows"] == 2
    assert out["unanchored_seconds"] == 1.5 and out["seconds_since_last_anchor"] == 3.5
    # within that window a removed tail cannot be seen: that is what the figures say
    _truncate_log(database, 4)
    code, out = _verify()
    assert code == 0 and out["unanchored_rows"] == 1


def test_commits_sign_the_head_within_the_interval(database: Database) -> None:
    clock.freeze(dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC))
    _write(database, 2)
    assert read_anchors() == []  # fresh rows wait for the interval
    clock.advance(dt.timedelta(seconds=get_settings().audit_sign_interval_seconds))
    _write(database, 1, start=2)  # this commit finds rows older than the interval waiting
    assert [a.seq for a in read_anchors()] == [3]
    _write(database, get_settings().audit_sign_every_rows, start=3)  # a batch that large
    assert [a.seq for a in read_anchors()] == [3, 3 + get_settings().audit_sign_every_rows]
    code, out = _verify()
    assert code == 0 and out["unanchored_rows"] == 0 and out["anchors_checked"] == 2
