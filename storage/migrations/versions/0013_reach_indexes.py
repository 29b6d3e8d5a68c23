"""reach indexes: who was ever reached and on which account, answered from indexes alone

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.create_index('ix_delivery_person_status', ['person_id', 'status', 'message_id'], unique=False)
    with op.batch_alter_table('channelaccount') as batch_op:
        batch_op.create_index(
            'ix_channelaccount_reach', ['person_id', 'active', 'preferred', 'id', 'channel'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('channelaccount') as batch_op:
        batch_op.drop_index('ix_channelaccount_reach')
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.drop_index('ix_delivery_person_status')
