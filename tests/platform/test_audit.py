"""The audit chain: verify, tampering by row and by recomputed chain, anchors, pruning, concurrency."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from granica import clock
from granica.audit import search as audit_search
from granica.audit.chain import GENESIS, row_hash
from granica.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from granica.audit.prune import prune
from granica.audit.service import record
from granica.audit.signing import read_anchors, sign_head, sign_head_if_due
from granica.audit.verify import _fields, verify
from granica.auth.principal import Principal, system_principal
from granica.cli import app
from granica.errors import ConflictError, PermissionDenied
from granica.settings import get_settings
from granica.storage import Database

runner = CliRunner()


def _who(name: str = "officer1", agency: str = "BORDER_POLICE") -> Principal:
    return Principal(user_id=f"u-{name}", username=name, agency=agency,
                     roles=frozenset({"border_guard"}), permissions=frozenset({"border.check"}))


def _write(db: Database, n: int, *, start: int = 0) -> None:
    with db.session() as s:
        for i in range(start, start + n):
            record(s, _who(f"officer{i % 3}"), "alerts.search", purpose="border check",
                   subject_type="alert", subject_ids=[f"alert-{i}"],
                   query={"surname": "Petrović", "dob": "1980"}, result_count=i % 4)


def _cli_verify() -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.acceptance
def test_verify_passes_then_names_altered_row(database: Database) -> None:
    _write(database, 6)
    code, out = _cli_verify()
    assert code == 0 and out["ok"] and out["rows_checked"] == 6
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET purpose='curiosity' WHERE seq=4"))
    code, out = _cli_verify()
    assert code == 1 and not out["ok"]
    assert out["first_bad_seq"] == 4 and out["problem"] == "changed"
    assert "row 4" in str(out["message"])
    text = runner.invoke(app, ["audit", "verify"])
    assert text.exit_code == 1 and "row 4 was changed" in text.output


def test_verify_names_removed_row(database: Database) -> None:
    _write(database, 6)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_subject WHERE seq=3"))
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq=3"))
    result = verify(database)
    assert not result.ok and result.problem == "removed" and result.first_bad_seq == 3
    assert "row 3 removed" in result.message


def test_verify_names_removed_last_row(database: Database) -> None:
    _write(database, 4)
    with database.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_subject WHERE seq=4"))
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq=4"))
    result = verify(database)
    assert not result.ok and result.problem == "removed" and result.first_bad_seq == 4


def _forged(seq: int, prev: str, when: dt.datetime) -> dict[str, object]:
    return dict(seq=seq, occurred_at=when, user_id="u-x", username="dba", agency="SYSADMIN",
                action="alerts.read", purpose="backdated", subject_type="alert",
                subject_ids=["alert-1"], query=None, result_count=1, outcome="ok", details=None,
                prev_hash=prev, row_hash="f" * 64)


def test_verify_names_row_inserted_beyond_head(database: Database) -> None:
    _write(database, 5)
    with database.session() as s:
        last = s.get(AuditEntry, 5)
        assert last is not None
        s.execute(sa.insert(AuditEntry).values(
            **_forged(6, last.row_hash, last.occurred_at - dt.timedelta(days=3))))
    result = verify(database)
    assert not result.ok and result.problem == "inserted" and result.first_bad_seq == 6


def test_verify_names_row_inserted_out_of_order_with_head_moved(database: Database) -> None:
    _write(database, 5)
    with database.session() as s:
        last = s.get(AuditEntry, 5)
        assert last is not None
        s.execute(sa.insert(AuditEntry).values(
            **_forged(6, last.row_hash, last.occurred_at - dt.timedelta(days=3))))
        s.execute(sa.update(AuditHead).values(seq=6, head_hash="f" * 64))
    result = verify(database)
    assert not result.ok and result.problem == "inserted" and result.first_bad_seq == 6
    assert "before row 5" in result.message


def _recompute_chain(db: Database) -> None:
    """What a DBA who knows the algorithm does after changing a row."""
    with db.session() as s:
        prev = GENESIS
        for row in s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)):
            row.prev_hash = prev
            row.row_hash = row_hash(prev, _fields(row))
            prev = row.row_hash
        s.flush()
        s.execute(sa.update(AuditHead).values(head_hash=prev))


@pytest.mark.acceptance
def test_recomputed_chain_is_caught_by_signed_anchor(database: Database) -> None:
    _write(database, 3)
    assert sign_head(database) is not None
    _write(database, 3, start=3)
    sign_head(database)
    _write(database, 2, start=6)
    assert verify(database).ok
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET purpose='nothing to see' WHERE seq=5"))
    _recompute_chain(database)
    result = verify(database, anchors_file=get_settings().data_dir / "no-anchors.jsonl")
    # without its anchors a recomputed chain would look sound: the database's anchor head
    # tells that anchors are missing (issue 10)
    assert not result.ok and result.problem == "anchors_missing"
    result = verify(database)
    assert not result.ok and result.problem == "rewritten"
    # the row lies after the first anchor (row 3, still matching) and at or before row 6
    assert result.first_bad_seq == 4 and "rows 4 to 6" in result.message
    code, out = _cli_verify()
    assert code == 1 and out["problem"] == "rewritten"


def test_truncated_log_with_reset_head_is_caught_by_anchor(database: Database) -> None:
    _write(database, 5)
    sign_head(database)
    with database.session() as s:
        s.execute(sa.text("DELETE FROM audit_subject WHERE seq >= 4"))
        s.execute(sa.text("DELETE FROM audit_log WHERE seq >= 4"))
        third = s.get(AuditEntry, 3)
        assert third is not None
        s.execute(sa.update(AuditHead).values(seq=3, head_hash=third.row_hash))
    result = verify(database)
    assert not result.ok and result.problem == "removed" and result.first_bad_seq == 4


def test_key_outside_database_and_anchor_file_tampering(database: Database) -> None:
    _write(database, 2)
    anchor = sign_head(database)
    assert anchor is not None and set(anchor) == {"n", "prev", "seq", "hash", "signed_at",
                                                  "key_id", "signature"}
    settings = get_settings()
    key = settings.keys_dir / "audit-signing-key.pem"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert verify(database).ok
    lines = settings.audit_anchor_file.read_text().splitlines()
    forged = json.loads(lines[0])
    forged["hash"] = "0" * 64
    settings.audit_anchor_file.write_text(json.dumps(forged) + "\n")
    result = verify(database)
    assert not result.ok and result.problem == "anchor_signature"


def test_sign_head_if_due(database: Database) -> None:
    clock.freeze(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC))
    assert sign_head_if_due(database) is None  # empty log: nothing to sign
    _write(database, 2)
    assert sign_head_if_due(database) is not None
    _write(database, 1, start=2)
    assert sign_head_if_due(database) is None  # signed less than an interval ago
    clock.advance(dt.timedelta(seconds=get_settings().audit_sign_interval_seconds))
    first = sign_head_if_due(database)
    assert first is not None and first["seq"] == 3
    clock.advance(dt.timedelta(hours=2))
    assert sign_head_if_due(database) is None  # nothing new since
    assert [a.seq for a in read_anchors()] == [2, 3]


@pytest.mark.acceptance
def test_prune_keeps_signed_checkpoint_and_rest_verifies(database: Database) -> None:
    clock.freeze(dt.datetime(2023, 1, 10, 12, 0, tzinfo=dt.UTC))
    _write(database, 5)
    sign_head(database)
    clock.advance(dt.timedelta(days=get_settings().audit_retention_days - 10))
    _write(database, 3, start=5)
    sign_head(database)
    assert prune(database).rows_pruned == 0  # nothing past retention yet
    clock.advance(dt.timedelta(days=11))
    outcome = prune(database)
    assert outcome.rows_pruned == 5 and outcome.pruned_through_seq == 5
    with database.session() as s:
        seqs = s.scalars(sa.select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs[0] == 6 and s.scalars(sa.select(AuditCheckpoint)).one().rows_pruned == 5
        assert s.scalars(sa.select(AuditEntry.action).where(AuditEntry.seq == seqs[-1])).one() \
            == "audit.prune"
    result = verify(database)
    assert result.ok, result.message
    assert result.checkpoint_seq == 5 and result.first_seq == 6
    # the checkpoint cannot be moved without the key
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_checkpoint SET pruned_through_seq = 6"))
    result = verify(database)
    assert not result.ok and result.problem == "checkpoint_signature"


def test_prune_refuses_tampered_chain(database: Database) -> None:
    clock.freeze(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    _write(database, 3)
    with database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET result_count = 99 WHERE seq=2"))
    clock.advance(dt.timedelta(days=get_settings().audit_retention_days + 1))
    with pytest.raises(ConflictError, match="row 2"):
        prune(database)
    with database.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 3


def test_concurrent_writers_never_fork_the_chain(database: Database) -> None:
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            for i in range(15):
                with database.session() as s:
                    record(s, _who(tag), "alerts.read", purpose="race", subject_type="alert",
                           subject_ids=[f"{tag}-{i}"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with database.session() as s:
        rows = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [r.seq for r in rows] == list(range(1, 46))
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    assert verify(database).ok


def test_audit_search_for_dpo(database: Database) -> None:
    _write(database, 6)
    dpo = Principal(user_id="u-dpo", username="dpo1", agency="DPO", roles=frozenset({"dpo"}),
                    permissions=frozenset({"audit.read", "audit.verify", "dpo.subject_access"}))
    with database.session() as s:
        page = audit_search.search(s, dpo, purpose="complaint 12/2026", subject_id="alert-2")
    assert page.total == 1 and page.rows[0]["subject_ids"] == ["alert-2"]
    with database.session() as s:
        page = audit_search.search(s, dpo, purpose="review", username="officer0", limit=1)
    assert page.total == 2 and len(page.rows) == 1 and page.rows[0]["seq"] == 4
    with pytest.raises(PermissionDenied):
        with database.session() as s:
            audit_search.search(s, _who(), purpose="nosy")
    with database.session() as s:
        last = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last is not None and last.action == "audit.search" and last.outcome == "denied"
    assert verify(database).ok


def test_cli_sign_and_prune(database: Database) -> None:
    _write(database, 2)
    out = runner.invoke(app, ["audit", "sign"])
    assert out.exit_code == 0 and "signed row 2" in out.output
    out = runner.invoke(app, ["audit", "prune"])
    assert out.exit_code == 0 and json.loads(out.output)["rows_pruned"] == 0
    assert system_principal().can("audit.verify")


def test_verify_does_not_block_writers(database: Database) -> None:
    """Verification reads a snapshot: a row written meanwhile is neither waited for nor seen."""
    _write(database, 3)
    from granica.audit import verify as verify_module

    real = verify_module.verify_in
    seen: list[int] = []

    def slow_verify(session: object, anchors: list[object], *rest: object) -> object:
        # start the snapshot, then let another writer commit before the log is read
        session.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()  # type: ignore[attr-defined]
        done = threading.Event()

        def writer() -> None:
            _write(database, 1, start=50)
            done.set()

        t = threading.Thread(target=writer)
        t.start()
        assert done.wait(20), "a writer was blocked by verification"
        t.join()
        result = real(session, anchors, *rest)  # type: ignore[arg-type]
        seen.append(result.rows_checked)
        return result

    verify_module.verify_in = slow_verify  # type: ignore[assignment]
    try:
        assert verify(database).ok
    finally:
        verify_module.verify_in = real
    assert seen == [3]
    assert verify(database).rows_checked == 4
