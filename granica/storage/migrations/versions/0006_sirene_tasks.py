"""sirene tasks

Revision ID: 0006_sirene_tasks
Revises: 0005_sirene
Create Date: 2026-12-07 03:03:06.888120
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import granica.storage

revision = '0006_sirene_tasks'
down_revision = '0005_sirene'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sirene_task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('due_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assigned_to', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['sirene_case.id'], name=op.f('fk_sirene_task_case_id_sirene_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sirene_task'))
    )
    with op.batch_alter_table('sirene_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sirene_task_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sirene_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sirene_task_case_id'))

    op.drop_table('sirene_task')
