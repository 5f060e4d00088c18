"""Backup and restore on both databases: identical data, a verifying audit chain, no overwrite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from granica.audit.service import record
from granica.audit.signing import sign_head
from granica.auth import service as auth
from granica.auth.principal import system_principal
from granica.cli import app
from granica.errors import ConflictError, InputFormatError
from granica.ops.backup import backup, is_empty, restore
from granica.storage import Base, Database, import_models, set_database

runner = CliRunner()


def _seed(db: Database) -> None:
    admin = system_principal("tests")
    with db.session() as s:
        auth.create_user(s, admin, username="jovana", password="Sigurna-Lozinka-9",
                         agency="SIRENE", roles=["sirene_operator"], display_name="Јована Јовић")
        auth.issue_token(s, admin, "jovana", name="script")
        for i in range(20):
            record(s, admin, "alerts.read", purpose="test", subject_type="alert",
                   subject_ids=[f"a{i}"], query={"q": "Ђорђевић"}, result_count=i)
    sign_head(db)


def _dump(db: Database) -> dict[str, list[tuple[object, ...]]]:
    import_models()
    out: dict[str, list[tuple[object, ...]]] = {}
    names = set(sa.inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in names:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


@pytest.fixture
def empty_target(database: Database, tmp_path: Path) -> Iterator[Database]:
    """A brand-new database without any schema, on the same backend."""
    if database.dialect == "sqlite":
        target = Database(f"sqlite:///{tmp_path / 'restored.db'}")
        yield target
        target.dispose()
        return
    admin_url = os.environ["GRANICA_TEST_PG_URL"]
    name = f"granica_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    target = Database(admin_url.rsplit("/", 1)[0] + "/" + name)
    yield target
    target.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.mark.acceptance
def test_backup_restore_identical(database: Database, empty_target: Database,
                                  tmp_path: Path) -> None:
    _seed(database)
    file = tmp_path / "granica.backup"
    result = runner.invoke(app, ["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert is_empty(empty_target)
    set_database(empty_target)
    result = runner.invoke(app, ["restore", str(file)])
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 22 rows" in result.output
    original, restored = _dump(database), _dump(empty_target)
    assert restored == original
    assert len(restored["audit_log"]) == 22 and len(restored["auth_user"]) == 1
    # the restored node logs its user in as before
    with empty_target.session() as s:
        assert auth.authenticate_password(s, "jovana", "Sigurna-Lozinka-9").agency == "SIRENE"


def test_restore_refuses_non_empty_without_force(database: Database, tmp_path: Path) -> None:
    _seed(database)
    file = backup(database, tmp_path / "b1")
    with database.session() as s:
        record(s, system_principal("t"), "alerts.read", purpose="after backup",
               subject_type="alert")
    with pytest.raises(ConflictError, match="--force"):
        restore(database, file)
    assert not is_empty(database)
    result = runner.invoke(app, ["restore", str(file)])
    assert result.exit_code != 0
    outcome = restore(database, file, force=True)
    # the anchor signed before the backup still matches; the row written after is gone
    assert outcome.verify.ok, outcome.verify.message
    with database.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() == 22


def test_restore_rejects_wrong_files(database: Database, tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello, not a backup")
    with pytest.raises(InputFormatError) as e:
        restore(database, junk)
    assert e.value.field == "file"
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" if database.dialect == "sqlite" else b"SQLite format 3\x00")
    with pytest.raises(InputFormatError, match="restore it into"):
        restore(database, other)


def test_json_logging() -> None:
    import io
    import json
    import logging

    from granica.ops.logging import configure_logging

    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    configure_logging("INFO", stream=stream)  # twice: still one line per record
    try:
        logging.getLogger("granica.test").info("backup done", extra={"file": "x.db", "rows": 3})
        logging.getLogger("granica.test").debug("not shown")
    finally:
        for handler in list(logging.getLogger().handlers):
            if type(handler).__name__ == "_GranicaHandler":
                logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["msg"] == "backup done" and entry["level"] == "info"
    assert entry["file"] == "x.db" and entry["rows"] == 3 and entry["ts"].endswith("+00:00")
