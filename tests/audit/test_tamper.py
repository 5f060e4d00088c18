"""Issue 10, audit log integrity: each tamper case edits the database or the anchors file
directly, the way someone with file or database access would, and asserts what
`granica audit verify` says (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from granica import clock
from granica.audit.service import record
from granica.audit.signing import read_anchors, sign_head
from granica.auth.principal import Principal
from granica.cli import app
from granica.settings import get_settings, reset_settings
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


def _anchored(db: Database, times: int) -> list[str]:
    for i in range(times):
        _write(db, 2, start=2 * i)
        assert sign_head(db) is not None
    return get_settings().audit_anchor_file.read_text().splitlines()


@pytest.mark.parametrize(("edit", "problem", "says"), [
    ("delete", "anchors_missing", "holds none (it was deleted or emptied)"),
    ("truncate", "anchors_missing", "holds only 2 chained anchors"),
    ("cut_middle", "anchor_chain", "line 2 (anchor 3) does not follow line 1 (anchor 1)"),
], ids=["deleted", "truncated", "line-removed"])
def test_anchors_file_tampering_is_detected(database: Database, edit: str, problem: str,
                                            says: str) -> None:
    lines = _anchored(database, 3)
    path = get_settings().audit_anchor_file
    assert _verify()[0] == 0
    if edit == "delete":
        path.unlink()
    elif edit == "truncate":
        path.write_text("\n".join(lines[:2]) + "\n")
    else:
        path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    code, out = _verify()
    assert code == 1 and out["problem"] == problem
    assert says in str(out["message"]), out["message"]


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def test_signing_key_from_the_environment_is_not_written(database: Database,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRANICA_AUDIT_SIGNING_KEY", _pem(Ed25519PrivateKey.generate()))
    reset_settings()
    _anchored(database, 1)
    assert not (get_settings().keys_dir / "audit-signing-key.pem").exists()
    assert _verify()[0] == 0


def test_key_file_outside_the_data_folder_and_resigned_anchors(
        database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "audit.pem"
    monkeypatch.setenv("GRANICA_AUDIT_SIGNING_KEY_FILE", str(key_file))
    reset_settings()
    _anchored(database, 2)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (get_settings().keys_dir / "audit-signing-key.pem").exists()
    assert _verify()[0] == 0
    # someone with the data folder re-signs the anchors with a key of their own and drops its
    # public half beside the others: with the key outside, that public key is not trusted
    forger = Ed25519PrivateKey.generate()
    public = forger.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (get_settings().keys_dir / f"audit-{hashlib.sha256(raw).hexdigest()[:16]}.pub").write_bytes(
        public.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo))
    monkeypatch.setenv("GRANICA_AUDIT_SIGNING_KEY", _pem(forger))
    reset_settings()
    get_settings().audit_anchor_file.unlink()
    _sql(database, "DELETE FROM audit_anchor_head")
    _anchored(database, 1)
    monkeypatch.delenv("GRANICA_AUDIT_SIGNING_KEY")
    reset_settings()
    code, out = _verify()
    assert code == 1 and out["problem"] == "anchor_signature", out["message"]
