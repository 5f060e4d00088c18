"""exchange between nodes: outbox, inbox, conversations, refusals

Revision ID: 0004_exchange
Revises: 0003_audit_anchor_head
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from granica.storage import UTCDateTime

revision = '0004_exchange'
down_revision = '0003_audit_anchor_head'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exchange_outbox',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('recipient', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('conversation', sa.String(length=128), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('envelope', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('delivered_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_outbox')),
        sa.UniqueConstraint('recipient', 'conversation', 'seq',
                            name=op.f('uq_exchange_outbox_recipient_conversation_seq')),
    )
    op.create_index('ix_exchange_outbox_due', 'exchange_outbox', ['state', 'next_attempt_at'])
    op.create_index(op.f('ix_exchange_outbox_conversation'), 'exchange_outbox', ['conversation'])
    op.create_table(
        'exchange_inbox',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('sender', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('conversation', sa.String(length=128), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.Column('envelope', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('handled_at', UTCDateTime(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_inbox')),
        sa.UniqueConstraint('sender', 'conversation', 'seq',
                            name=op.f('uq_exchange_inbox_sender_conversation_seq')),
    )
    op.create_index('ix_exchange_inbox_state', 'exchange_inbox', ['state', 'received_at'])
    op.create_index(op.f('ix_exchange_inbox_conversation'), 'exchange_inbox', ['conversation'])
    op.create_table(
        'exchange_conversation',
        sa.Column('peer', sa.String(length=16), nullable=False),
        sa.Column('conversation', sa.String(length=128), nullable=False),
        sa.Column('next_out', sa.BigInteger(), nullable=False),
        sa.Column('next_in', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('peer', 'conversation', name=op.f('pk_exchange_conversation')),
    )
    op.create_table(
        'exchange_refusal',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.Column('message_id', sa.String(length=64), nullable=True),
        sa.Column('claimed_sender', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.Column('remote', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_refusal')),
    )
    op.create_index(op.f('ix_exchange_refusal_received_at'), 'exchange_refusal', ['received_at'])


def downgrade() -> None:
    op.drop_table('exchange_refusal')
    op.drop_table('exchange_conversation')
    op.drop_table('exchange_inbox')
    op.drop_table('exchange_outbox')
