"""audit log: an append-only record of who exported, erased, viewed, consented, overrode or signed in

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.models

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The database itself refuses to change or remove an entry, whatever code runs against it.
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER auditentry_no_{what.lower()} BEFORE {what} ON auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    for what in ("UPDATE", "DELETE")
]
_PG_FUNCTION = (
    "CREATE FUNCTION auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
)
_PG_TRIGGER = (
    "CREATE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE ON auditentry "
    "FOR EACH ROW EXECUTE FUNCTION auditentry_append_only()"
)


def upgrade() -> None:
    op.create_table(
        'auditentry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=True),
        sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_auditentry')),
    )
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditentry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditentry_subject_id'), ['subject_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER auditentry_append_only ON auditentry')
        op.execute('DROP FUNCTION auditentry_append_only()')
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditentry_subject_id'))
        batch_op.drop_index(batch_op.f('ix_auditentry_action'))
    op.drop_table('auditentry')
