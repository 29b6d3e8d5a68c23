"""inbound claims: an unhandled event is replayed by one process, under a lease

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    unhandled = sa.text('handled_at IS NULL')
    with op.batch_alter_table('inboundevent') as batch_op:
        batch_op.add_column(sa.Column('claimed_until', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_inboundevent_unhandled',
            ['id', 'claimed_until'],
            unique=False,
            postgresql_where=unhandled,
            sqlite_where=unhandled,
        )


def downgrade() -> None:
    with op.batch_alter_table('inboundevent') as batch_op:
        batch_op.drop_index('ix_inboundevent_unhandled')
        batch_op.drop_column('claimed_until')
