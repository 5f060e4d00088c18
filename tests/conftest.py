"""Shared fixtures: where the shared test data lives, and how its absence is handled."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GRANICA_SHARED", ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """Path inside ../shared/data; skips the test when it is absent, fails under CI."""
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        missing(f"shared test data not found at {path} (check out ../shared beside the repo)")
    return path


def missing(message: str) -> NoReturn:
    """Skip a test whose data or system package is absent; under CI (CI=true) that is an
    error of the machine's set-up, so the test fails instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_path()


# --- databases -------------------------------------------------------------------------
# Every test that asks for `database` runs twice: on a real SQLite file and on the real
# PostgreSQL server that `make test` starts (GRANICA_TEST_PG_URL). The schema is migrated
# once per backend into a template, and each test gets a fresh copy of it.

import itertools  # noqa: E402
import shutil  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from granica import clock  # noqa: E402
from granica.storage import Database, set_database  # noqa: E402

_counter = itertools.count()


def _pg_admin_url() -> str | None:
    url = os.environ.get("GRANICA_TEST_PG_URL")
    if not url:
        message = "GRANICA_TEST_PG_URL is not set: run the suite with `make test` to test on PostgreSQL"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    admin_url = _pg_admin_url()
    assert admin_url is not None
    name = f"granica_tmpl_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(_with_database(admin_url, name))
    db.upgrade()
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "granica.db"
        shutil.copyfile(template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    tmpl: str = request.getfixturevalue("_pg_template")
    admin_url = _pg_admin_url()
    assert admin_url is not None
    name = f"granica_t{os.getpid()}_{next(_counter)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl}"')
    db = Database(_with_database(admin_url, name))
    yield db
    db.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A freshly migrated, empty database on each backend; also the process default."""
    from granica.settings import reset_settings

    monkeypatch.setenv("GRANICA_DATA_DIR", str(tmp_path / "granica-data"))
    reset_settings()
    for db in _fresh_database(request.param, request, tmp_path):
        set_database(db)
        try:
            yield db
        finally:
            set_database(None)
            clock.reset()
            reset_settings()
