"""audit anchor head: the anchors file's newest line, as the database last saw it signed

Revision ID: 0003_audit_anchor_head
Revises: 0002_coop
Create Date: 2026-12-06 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_audit_anchor_head'
down_revision = '0002_coop'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_anchor_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('anchors', sa.BigInteger(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('signed_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchor_head')),
    )


def downgrade() -> None:
    op.drop_table('audit_anchor_head')
