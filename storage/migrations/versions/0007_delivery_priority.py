"""delivery priority: replies to someone's own message are claimed before broadcasts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='2', nullable=False))
        batch_op.create_index('ix_delivery_queue', ['status', 'priority', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.drop_index('ix_delivery_queue')
        batch_op.drop_column('priority')
