"""Backing up and restoring the node's database (SQLite online backup; pg_dump/pg_restore).

A restore refuses to overwrite a database that holds data unless forced, and
verifies the restored audit chain. Keys and the audit anchors file live outside
the database and are not part of its backup: back up the data folder's `keys/`
separately (and keep it apart from the database backups).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from granica.audit.verify import VerifyResult, verify
from granica.errors import ConflictError, InputFormatError, NotFoundError, ServiceUnavailable
from granica.storage import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@dataclass
class RestoreResult:
    source: str
    dialect: str
    verify: VerifyResult


def pg_tool(name: str) -> str:
    """The newest `pg_dump`/`pg_restore` installed (Debian keeps them per major version)."""
    def version(path: Path) -> int:
        match = re.search(r"/postgresql/(\d+)/", str(path))
        return int(match.group(1)) if match else 0

    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version, reverse=True)
    if found:
        return str(found[0])
    which = shutil.which(name)
    if which:
        return which
    raise ServiceUnavailable(f"{name} not found under /usr/lib/postgresql/*/bin or on PATH; "
                             "install the Debian package postgresql-client")


def _pg_env(db: Database) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password goes by environment, not argv."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["--dbname", str(url.database or "postgres")]
    if url.host:
        args += ["--host", str(url.host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", str(url.username)]
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise ServiceUnavailable(f"{what} failed (exit {proc.returncode}): "
                                 + ("; ".join(detail[-5:]) or "no message"))


def is_empty(db: Database) -> bool:
    """True when no table holds data (a fresh or freshly migrated database)."""
    inspector = sa.inspect(db.engine)
    tables = [t for t in inspector.get_table_names() if t != "alembic_version"]
    with db.engine.connect() as conn:
        for table in tables:
            quoted = db.engine.dialect.identifier_preparer.quote(table)
            if table == "audit_head":
                seq = conn.exec_driver_sql(f"SELECT max(seq) FROM {quoted}").scalar()
                if seq:
                    return False
                continue
            if conn.exec_driver_sql(f"SELECT 1 FROM {quoted} LIMIT 1").first() is not None:
                return False
    return True


def backup(db: Database, target: Path) -> Path:
    """Write a consistent copy of the live database to `target` (written whole, then renamed)."""
    target = Path(target)
    if target.is_dir():
        raise InputFormatError(f"{target} is a folder; give a file name for the backup",
                               field="file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    if db.dialect == "sqlite":
        raw = db.engine.raw_connection()
        try:
            dest = sqlite3.connect(partial)
            try:
                # the online backup API copies a consistent snapshot while writers go on
                raw.driver_connection.backup(dest)  # type: ignore[union-attr]
            finally:
                dest.close()
        finally:
            raw.close()
    elif db.dialect == "postgresql":
        args, env = _pg_env(db)
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *args],
             env, "pg_dump")
    else:
        raise ServiceUnavailable(f"backup of {db.dialect} databases is not supported")
    os.replace(partial, target)
    return target


def restore(db: Database, source: Path, *, force: bool = False) -> RestoreResult:
    """Replace the database's contents with a backup, then verify the audit chain."""
    source = Path(source)
    if not source.is_file():
        raise NotFoundError(f"backup file {source} not found", field="file")
    with open(source, "rb") as fh:
        magic = fh.read(16)
    kind = ("sqlite" if magic.startswith(SQLITE_MAGIC)
            else "postgresql" if magic.startswith(PGDUMP_MAGIC) else None)
    if kind is None:
        raise InputFormatError(f"{source} is neither a SQLite database nor a pg_dump custom-format "
                               "archive (first bytes do not match); was it made by `granica "
                               "backup`?", field="file")
    if kind != db.dialect:
        raise InputFormatError(f"{source} is a {kind} backup but the configured database is "
                               f"{db.dialect}; restore it into a {kind} database", field="file")
    if not force and not is_empty(db):
        raise ConflictError("the target database already holds data; restoring would overwrite "
                            "it. Restore into an empty database, or pass --force", field="force")
    if kind == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            names = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "audit_log" not in names:
                raise InputFormatError(f"{source} is a SQLite database but not a Granica one "
                                       "(no audit_log table)", field="file")
            db.dispose()
            raw = db.engine.raw_connection()
            try:
                src.backup(raw.driver_connection)  # type: ignore[arg-type]
            finally:
                raw.close()
        finally:
            src.close()
    else:
        args, env = _pg_env(db)
        db.dispose()
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", *args, str(source)], env, "pg_restore")
    db.dispose()  # pooled connections may hold the old schema's cached plans
    return RestoreResult(str(source), kind, verify(db))


def describe(result: RestoreResult) -> dict[str, Any]:
    return {"source": result.source, "dialect": result.dialect,
            "audit": result.verify.to_dict()}
