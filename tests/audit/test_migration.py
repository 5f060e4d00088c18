"""Migration 0003 (the anchor head): upgrade matches the models, downgrade removes it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from granica.storage import Database
from granica.storage.migrate import alembic_config, current, pending_changes, upgrade

pytestmark = pytest.mark.db


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    from granica.storage.migrate import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_anchor_head_migration_round_trip(database: Database) -> None:
    assert current(database) == head_revision() and pending_changes(database) == []
    command.downgrade(alembic_config(database), "0002_coop")
    assert "audit_anchor_head" not in sa.inspect(database.engine).get_table_names()
    upgrade(database)
    assert "audit_anchor_head" in sa.inspect(database.engine).get_table_names()
    assert pending_changes(database) == []
