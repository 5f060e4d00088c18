"""Migration 0004 (the exchange's tables): upgrade matches the models, downgrade removes them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from granica.storage import Database
from granica.storage.migrate import alembic_config, pending_changes, upgrade

pytestmark = pytest.mark.db

TABLES = {"exchange_outbox", "exchange_inbox", "exchange_conversation", "exchange_refusal"}


def test_exchange_migration_round_trip(database: Database) -> None:
    assert TABLES <= set(sa.inspect(database.engine).get_table_names())
    command.downgrade(alembic_config(database), "0003_audit_anchor_head")
    assert not TABLES & set(sa.inspect(database.engine).get_table_names())
    upgrade(database)
    assert TABLES <= set(sa.inspect(database.engine).get_table_names())
    assert pending_changes(database) == []
