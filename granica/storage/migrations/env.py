"""Alembic environment: migrates the engine handed over by granica.storage.migrate."""

from __future__ import annotations

from alembic import context

from granica.storage import Base, import_models

import_models()
config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
