"""Asylum training: the exercises given to trainees on a training node, with their scores;
the central system's records keep when the sending node marked them; and an alert hidden
for an operation keeps until when (granica.sis).

Revision ID: 0009_asylum_training
Revises: 0008_asylum_central
Create Date: 2026-12-07 12:36:06.004605
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import granica.storage

revision = '0009_asylum_training'
down_revision = '0008_asylum_central'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('asylum_training_exercise',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('trainee', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('started_at', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('points', sa.SmallInteger(), nullable=True),
    sa.Column('max_points', sa.SmallInteger(), nullable=False),
    sa.Column('feedback', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asylum_training_exercise'))
    )
    with op.batch_alter_table('asylum_training_exercise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asylum_training_exercise_trainee'), ['trainee'], unique=False)
    with op.batch_alter_table('asylum_central_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marked_at', granica.storage.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('sis_alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_until', granica.storage.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sis_alert', schema=None) as batch_op:
        batch_op.drop_column('hidden_until')
    with op.batch_alter_table('asylum_central_record', schema=None) as batch_op:
        batch_op.drop_column('marked_at')
    with op.batch_alter_table('asylum_training_exercise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asylum_training_exercise_trainee'))

    op.drop_table('asylum_training_exercise')
