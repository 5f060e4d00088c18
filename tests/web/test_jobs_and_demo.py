"""Scheduled jobs and the demo set-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from granica import clock, jobs
from granica.storage import Database
from tests.web.conftest import Seeded


def test_jobs_run_signs_the_audit_head(seeded: Seeded) -> None:
    from granica.audit.signing import read_anchors

    assert read_anchors() == []
    # creating the users and the token were audited: the chain has a head to sign
    results = {r.name: r for r in jobs.run_all(seeded.database)}
    assert "audit.sign_head" in results and "sis.delete_expired" in results
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    anchors = read_anchors()
    assert len(anchors) == 1 and anchors[0].seq >= 3


def test_scheduler_runs_each_job_once_per_interval(database: Database) -> None:
    calls: list[str] = []
    jobs.load_jobs()
    saved = dict(jobs._registry)
    try:
        jobs._registry.clear()
        jobs.register("t.often", lambda db: calls.append("often"), dt.timedelta(minutes=5))
        jobs.register("t.daily", lambda db: calls.append("daily"), dt.timedelta(days=1))
        jobs.register("t.broken", lambda db: 1 / 0, dt.timedelta(minutes=5))
        clock.freeze(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC))
        sched = jobs.Scheduler(database)
        first = sched.run_due()
        assert sorted(calls) == ["daily", "often"]
        assert [r.ok for r in first if r.name == "t.broken"] == [False]  # reported, not raised
        assert sched.run_due() == []
        clock.advance(dt.timedelta(minutes=6))
        sched.run_due()
        assert sorted(calls) == ["daily", "often", "often"]
    finally:
        jobs._registry.clear()
        jobs._registry.update(saved)


def test_demo_users_cover_every_agency_and_seeding_twice_adds_nothing(database: Database) -> None:
    from granica.auth import service as auth
    from granica.auth.permissions import AGENCIES, AGENCY_ROLES
    from granica.cli.serve import seed_demo_users

    first = seed_demo_users(database)
    assert all(created for _, created in first)
    assert {u.agency for u, _ in first} == set(AGENCIES)
    assert {(u.agency, u.role) for u, _ in first} == {
        (a, r) for a, roles in AGENCY_ROLES.items() for r in roles}
    second = seed_demo_users(database)
    assert not any(created for _, created in second)
    user = next(u for u, _ in first if u.agency == "DPO")
    with database.session() as s:  # the printed password works
        principal = auth.authenticate_password(s, user.username, user.password)
    assert principal.agency == "DPO"


def test_jobs_run_command_prints_each_job(seeded: Seeded) -> None:
    from typer.testing import CliRunner

    from granica.cli import app

    result = CliRunner().invoke(app, ["jobs", "run", "--json", "audit.sign_head"])
    assert result.exit_code == 0, result.output
    assert '"job": "audit.sign_head"' in result.output and '"ok": true' in result.output
    bad = CliRunner().invoke(app, ["jobs", "run", "no.such.job"])
    assert bad.exit_code != 0


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    from granica.cli.serve import _check_schema
    from granica.errors import ServiceUnavailable

    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(ServiceUnavailable, match="granica db upgrade"):
            _check_schema(empty)
    finally:
        empty.dispose()


def test_demo_setup_seeds_alerts_once_and_prints_every_password(database: Database) -> None:
    from granica.cli.serve import demo_users, prepare_demo

    lines: list[str] = []
    prepare_demo(count=40, echo=lines.append)
    text = "\n".join(lines)
    for user in demo_users():
        assert user.username in text and user.password in text
    assert "Demo alerts: 40 added" in text
    lines.clear()
    prepare_demo(count=40, echo=lines.append)
    text = "\n".join(lines)
    assert "Demo alerts: 0 added" in text and "(already there)" in text
