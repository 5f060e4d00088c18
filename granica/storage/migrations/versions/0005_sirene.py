"""sirene cases, forms, attachments, notes

Revision ID: 0005_sirene
Revises: 0004_exchange
Create Date: 2026-12-07 01:45:01.710945
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import granica.storage

revision = '0005_sirene'
down_revision = '0004_exchange'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sirene_case',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('conversation', sa.String(length=128), nullable=False),
    sa.Column('counterpart', sa.String(length=16), nullable=False),
    sa.Column('schengen_id', sa.String(length=40), nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=True),
    sa.Column('alert_category', sa.String(length=40), nullable=False),
    sa.Column('issuing_country', sa.String(length=2), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('hit_report_id', sa.String(length=36), nullable=True),
    sa.Column('assigned_to', sa.String(length=64), nullable=True),
    sa.Column('opened_at', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sirene_case')),
    sa.UniqueConstraint('counterpart', 'conversation', name=op.f('uq_sirene_case_counterpart_conversation')),
    sa.UniqueConstraint('hit_report_id', name=op.f('uq_sirene_case_hit_report_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_sirene_case_reference'))
    )
    with op.batch_alter_table('sirene_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sirene_case_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index('ix_sirene_case_open', ['state', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sirene_case_schengen_id'), ['schengen_id'], unique=False)

    op.create_table('sirene_counter',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_sirene_counter'))
    )
    op.create_table('sirene_message',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('letter', sa.String(length=1), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('sender', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=16), nullable=False),
    sa.Column('message_time', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('header', sa.JSON(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('reply_to', sa.String(length=40), nullable=True),
    sa.Column('due_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', granica.storage.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=40), nullable=True),
    sa.Column('notified', sa.String(length=12), nullable=False),
    sa.Column('exchange_id', sa.String(length=36), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['sirene_case.id'], name=op.f('fk_sirene_message_case_id_sirene_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sirene_message')),
    sa.UniqueConstraint('sender', 'reference', name=op.f('uq_sirene_message_sender_reference'))
    )
    with op.batch_alter_table('sirene_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sirene_message_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_sirene_message_due', ['direction', 'answered_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sirene_message_letter'), ['letter'], unique=False)

    op.create_table('sirene_note',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', granica.storage.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['sirene_case.id'], name=op.f('fk_sirene_note_case_id_sirene_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sirene_note'))
    )
    with op.batch_alter_table('sirene_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sirene_note_case_id'), ['case_id'], unique=False)

    op.create_table('sirene_attachment',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['sirene_message.id'], name=op.f('fk_sirene_attachment_message_id_sirene_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sirene_attachment'))
    )
    with op.batch_alter_table('sirene_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sirene_attachment_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sirene_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sirene_attachment_message_id'))

    op.drop_table('sirene_attachment')
    with op.batch_alter_table('sirene_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sirene_note_case_id'))

    op.drop_table('sirene_note')
    with op.batch_alter_table('sirene_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sirene_message_letter'))
        batch_op.drop_index('ix_sirene_message_due')
        batch_op.drop_index(batch_op.f('ix_sirene_message_case_id'))

    op.drop_table('sirene_message')
    op.drop_table('sirene_counter')
    with op.batch_alter_table('sirene_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sirene_case_schengen_id'))
        batch_op.drop_index('ix_sirene_case_open')
        batch_op.drop_index(batch_op.f('ix_sirene_case_alert_id'))

    op.drop_table('sirene_case')
