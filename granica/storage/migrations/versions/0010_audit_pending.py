"""audit pending rows: audit rows written in their act's transaction, sealed, before the
appender gives them their place in the chain (audit_log)

Revision ID: 0010_audit_pending
Revises: 0009_asylum_training
Create Date: 2026-12-07 12:52:53.182129
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import granica.storage

revision = '0010_audit_pending'
down_revision = '0009_asylum_training'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_pending',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('seal', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_ids', sa.JSON(), nullable=False),
    sa.Column('query', sa.JSON(), nullable=True),
    sa.Column('result_count', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending'))
    )


def downgrade() -> None:
    op.drop_table('audit_pending')
