"""Issue 10, audit log integrity: each tamper case edits the database or the anchors file
directly, the way someone with file or database access would, and asserts what
`granica audit verify` says (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from granica.audit.service import record
from granica.auth.principal import Principal
from granica.cli import app
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
