"""dashboard sessions: staff signed in to the web dashboard, each one endable

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.models

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dashboardsession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_dashboardsession_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboardsession')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_dashboardsession_token_hash'))
    )
    with op.batch_alter_table('dashboardsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboardsession_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboardsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboardsession_person_id'))
    op.drop_table('dashboardsession')
