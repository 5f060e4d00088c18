"""Issue 10, border throughput: audit rows are written pending (sealed) in the act's
transaction and chained by one appender after the commit. Edited pending rows, a stopped or
killed appender, and concurrent writers (threads and processes), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from granica import clock, jobs
from granica.audit import appender
from granica.audit.models import AuditEntry, AuditHead, AuditPending, AuditSubjectIndex
from granica.audit.service import record
from granica.audit.verify import PENDING_LAG_SECONDS, verify
from granica.auth.principal import Principal
from granica.cli import app
from granica.storage import Database

pytestmark = pytest.mark.db

runner = CliRunner()
GUARD = Principal(user_id="u-guard", username="guard1", agency="BORDER_POLICE",
                  roles=frozenset({"border_guard"}), permissions=frozenset({"border.check"}))


def _write(db: Database, n: int, *, start: int = 0, tag: str = "alert") -> None:
    with db.session() as s:
        for i in range(start, start + n):
            record(s, GUARD, "alerts.read", purpose="border check", subject_type="alert",
                   subject_ids=[f"{tag}-{i}"], result_count=1)


def _stall(db: Database, monkeypatch: pytest.MonkeyPatch) -> appender.Appender:
    """An appender registered for the database whose thread never runs (stopped, or hung):
    commits only wake it, so their rows stay pending."""
    stalled = appender.Appender(db.engine)
    monkeypatch.setitem(appender._appenders, db.engine, stalled)
    return stalled


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _chained_subjects(db: Database) -> list[str]:
    with db.session() as s:
        rows = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(rows))
    return [r.subject_ids[0] for r in rows]


def _verify() -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def test_rows_are_chained_at_commit_without_an_appender_thread(database: Database) -> None:
    with database.session() as s:
        entry = record(s, GUARD, "alerts.read", purpose="check", subject_type="alert",
                       subject_ids=["alert-1"])
        assert entry.seq is None  # pending: no place in the chain, no lock on the head
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditPending)) == 1
        assert s.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditHead.seq), 0))) == 0
    assert _count(database, AuditPending) == 0 and _chained_subjects(database) == ["alert-1"]
    assert _count(database, AuditSubjectIndex) == 1


def test_rolled_back_act_leaves_no_audit_row(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as s:
        record(s, GUARD, "alerts.read", purpose="check", subject_type="alert",
               subject_ids=["alert-1"])
        raise RuntimeError("the act failed")
    assert _count(database, AuditPending) == 0 and _count(database, AuditEntry) == 0


def test_pending_rows_count_in_the_window_and_a_lagging_appender_is_reported(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    clock.freeze(dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC))
    _write(database, 2)
    _stall(database, monkeypatch)
    _write(database, 3, start=2)
    code, out = _verify()
    assert code == 0 and out["pending_rows"] == 3 and out["rows_checked"] == 2
    assert out["unanchored_rows"] == 5
    assert not any("lagging" in str(w) for w in out["warnings"])  # fresh rows: no lag yet
    clock.advance(dt.timedelta(seconds=PENDING_LAG_SECONDS + 2))
    code, out = _verify()
    assert code == 0 and out["pending_oldest_seconds"] == PENDING_LAG_SECONDS + 2
    lag = [w for w in out["warnings"] if "lagging" in str(w)]
    assert lag and "3 committed rows wait to be chained, the oldest for 7.0 s" in str(lag[0])


@pytest.mark.parametrize(("column", "value"), [
    ("purpose", "'curiosity'"), ("subject_ids", """'["alert-99"]'"""),
    ("outcome", "'denied'"),
])
def test_pending_row_edited_before_chaining_is_detected(
        database: Database, monkeypatch: pytest.MonkeyPatch, column: str, value: str) -> None:
    _write(database, 1)
    _stall(database, monkeypatch)
    _write(database, 3, start=1)
    with database.engine.begin() as conn:
        second = conn.execute(sa.select(sa.func.min(AuditPending.id))).scalar_one() + 1
        conn.execute(sa.text(f"UPDATE audit_pending SET {column} = {value} WHERE id = {second}"))
    code, out = _verify()
    assert code == 1 and out["problem"] == "pending_changed"
    assert f"pending audit row {second} (not chained yet) was changed" in str(out["message"])
    # the appender does not seal the edit into the chain: the row stays pending, still reported
    assert appender.chain_pending(database.engine) == 2
    assert _chained_subjects(database) == ["alert-0", "alert-1", "alert-3"]
    code, out = _verify()
    assert code == 1 and out["problem"] == "pending_changed"


def test_stopped_appender_rows_are_chained_by_the_next_run(
        database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(database, 2)
    _stall(database, monkeypatch)
    for i in range(2, 12, 2):
        _write(database, 2, start=i)
    assert _count(database, AuditPending) == 10 and _count(database, AuditEntry) == 2
    # the scheduler's tick is the next appender run
    result = jobs.run_all(database, ["audit.append"])
    assert result[0].ok, result
    assert _count(database, AuditPending) == 0
    assert _chained_subjects(database) == [f"alert-{i}" for i in range(12)]
    assert _count(database, AuditSubjectIndex) == 12
    assert verify(database).ok


def test_appender_thread_chains_after_each_commit(database: Database) -> None:
    running = appender.start_appender(database.engine, interval=30.0)
    try:
        _write(database, 3)
        deadline = time.monotonic() + 10
        while _count(database, AuditPending) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _count(database, AuditPending) == 0  # woken by the commit, not by its interval
        _write(database, 2, start=3)
    finally:
        running.stop()
    assert _chained_subjects(database) == [f"alert-{i}" for i in range(5)]
    assert verify(database).ok


@pytest.mark.parametrize("thread", [False, True], ids=["inline", "appender-thread"])
def test_concurrent_writer_threads_give_one_chain(database: Database, thread: bool) -> None:
    running = appender.start_appender(database.engine, interval=0.2) if thread else None
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            for i in range(12):
                _write(database, 1, start=i, tag=tag)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in ("a", "b", "c", "d")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if running is not None:
        running.stop()
    assert not errors, errors
    assert _count(database, AuditPending) == 0  # every row was chained promptly after its commit
    chained = _chained_subjects(database)
    assert sorted(chained) == sorted(f"{t}-{i}" for t in "abcd" for i in range(12))
    for tag in "abcd":  # each writer's rows in its own commit order
        assert [c for c in chained if c[0] == tag] == [f"{tag}-{i}" for i in range(12)]
    assert verify(database).ok


_WRITER = textwrap.dedent("""
    import sys
    from granica.audit.service import record
    from granica.auth.principal import Principal
    from granica.storage import Database

    url, tag, n, stall = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "stall"
    db = Database(url)
    if stall:
        from granica.audit import appender
        appender._appenders[db.engine] = appender.Appender(db.engine)
    who = Principal(user_id="u-" + tag, username=tag, agency="BORDER_POLICE",
                    roles=frozenset(), permissions=frozenset())
    for i in range(n):
        with db.session() as s:
            record(s, who, "alerts.read", purpose="race", subject_type="alert",
                   subject_ids=[f"{tag}-{i}"])
    print("written", flush=True)
    if stall:
        import time
        time.sleep(600)
""")


def _spawn(db: Database, tag: str, n: int, stall: bool = False) -> subprocess.Popen[str]:
    url = db.engine.url.render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-c", _WRITER, url, tag, str(n),
                             "stall" if stall else "inline"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))


def test_two_processes_on_one_database_never_fork_the_chain(database: Database) -> None:
    procs = [_spawn(database, tag, 25) for tag in ("p", "q")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert _count(database, AuditPending) == 0
    chained = _chained_subjects(database)
    assert sorted(chained) == sorted(f"{t}-{i}" for t in "pq" for i in range(25))
    assert verify(database).ok


def test_killed_process_leaves_pending_rows_the_next_run_chains(database: Database) -> None:
    _write(database, 1)
    proc = _spawn(database, "k", 8, stall=True)  # its appender never runs, then it is killed
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert _count(database, AuditPending) == 8
    assert verify(database).pending_rows == 8
    _write(database, 1, start=1)  # the next commit's appender run chains the backlog first
    assert _count(database, AuditPending) == 0
    assert _chained_subjects(database) == (["alert-0"] + [f"k-{i}" for i in range(8)]
                                           + ["alert-1"])
    result = verify(database)
    assert result.ok and result.rows_checked == 10 and result.pending_rows == 0
