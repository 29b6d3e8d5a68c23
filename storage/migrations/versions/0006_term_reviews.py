"""term reviews: who was asked "Is the way we keep in touch working for you?" and their answer

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.models


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('termreview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('asked_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('answered_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_termreview_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_termreview')),
    sa.UniqueConstraint('person_id', 'term', name=op.f('uq_termreview_person_id_term'))
    )
    # Those already asked this way were keyed "review:<person>:<term>" in once: keep them asked.
    once = sa.table('once', sa.column('key', sa.String()), sa.column('at', storage.models.UTCDateTime()))
    keys = op.get_bind().execute(sa.select(once.c.key, once.c.at).where(once.c.key.like('review:%')))
    asked = [
        {'person_id': int(person), 'term': int(term), 'asked_at': at}
        for key, at in keys
        for _, person, term in [key.split(':')]
    ]
    if asked:
        op.bulk_insert(table, asked)


def downgrade() -> None:
    op.drop_table('termreview')
