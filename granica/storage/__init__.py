"""Database access for every domain: the declarative base, engines and transactional sessions.

SQLite (WAL mode) is the embedded default; PostgreSQL is production. Every
domain keeps its tables in its own `models.py`; the schema is created and
changed only by the Alembic migrations in `granica/storage/migrations`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import operator
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Modules holding tables; the migration environment imports them all.
MODEL_MODULES = (
    "granica.auth.models",
    "granica.audit.models",
    "granica.sis.models",
    "granica.border.models",
    "granica.sirene.models",
    "granica.asylum.models",
    "granica.asylum.central_models",
    "granica.cooperation.models",
    "granica.exchange.models",
)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use granica.clock.now()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


def new_id() -> str:
    """Primary keys are random UUIDs as text: stable across nodes and both databases."""
    return str(uuid.uuid4())


def _memoised(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that reuses its last answer: a batch's timestamps are all one `now`."""
    last: list[Any] = [object(), None]

    def run(value: Any) -> Any:
        if value is not last[0] and value != last[0]:
            last[0], last[1] = value, proc(value)
        return last[1]

    return run


def bulk_insert(session: Session | sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
                ) -> None:
    """executemany straight on the driver, the columns' bind processors applied by hand.

    The same rows through `session.execute(insert(table), rows)` spend most of their time in
    SQLAlchemy's per-row parameter handling; the imports of alerts and of the agencies'
    spreadsheets have speed targets (5,000 rows/s), and the audit appender writes an index
    row per subject of such an import. Every row names the same columns.
    """
    if not rows:
        return
    connection = session if isinstance(session, sa.Connection) else session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or []) if compiled.positional else names
    getter = operator.itemgetter(*order)
    processed: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(order):
        proc = table.c[name].type._cached_bind_processor(dialect)
        if proc is not None:
            processed.append((index, _memoised(proc)))
    params: list[Any] = []
    for row in rows:
        values = getter(row)
        if not isinstance(values, tuple):
            values = (values,)
        if processed:
            listed = list(values)
            for index, process in processed:
                if listed[index] is not None:
                    listed[index] = process(listed[index])
            values = tuple(listed)
        params.append(values)
    if dialect.name == "postgresql":
        # COPY is several times faster than multi-row INSERTs on PostgreSQL
        columns = ", ".join(dialect.identifier_preparer.quote(n) for n in order)
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
            for values in params:
                copy.write_row(values)
        return
    if not compiled.positional:
        params = [dict(zip(order, values)) for values in params]
    connection.exec_driver_sql(str(compiled), params)


def import_models() -> None:
    """Import every domain's tables so that Base.metadata is complete."""
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # a domain that has no tables yet; anything else missing is a real error
            if exc.name is None or not name.startswith(exc.name):
                raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "isolation_level": None}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Every unit of work writes (at least its audit row), so take SQLite's write lock at
        # BEGIN: a deferred transaction that read first could not upgrade in WAL mode.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


@contextlib.contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit the session when the block ends, roll it back if it raises, always close it."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class Database:
    """One database: its engine and a factory of transactional sessions."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        return unit_of_work(self._factory())

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        from granica.storage.migrate import upgrade

        upgrade(self)

    def dispose(self) -> None:
        self.engine.dispose()


_default: Database | None = None


def get_database() -> Database:
    """The node's database from settings (created on first use, data folder included)."""
    global _default
    if _default is None:
        from granica.settings import get_settings

        settings = get_settings()
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _default = Database(settings.resolved_database_url, echo=settings.sql_echo)
    return _default


def database_key(session: Session) -> str:
    """A name for the database a session talks to (its URL without the password), to keep
    per-database state in memory under."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def set_database(db: Database | None) -> None:
    """Point the process at another database (tests, several nodes in one process)."""
    global _default
    _default = db
