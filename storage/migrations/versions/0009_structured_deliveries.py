"""structured deliveries: what a message is (JSON content), rendered by each channel at send time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DELIVERY = sa.table(
    'delivery', sa.column('id', sa.Integer()), sa.column('text', sa.String()), sa.column('content', sa.JSON())
)


def upgrade() -> None:
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
    # An existing row was rendered to plain text already: it becomes a message of one paragraph.
    bind = op.get_bind()
    rows = bind.execute(sa.select(_DELIVERY.c.id, _DELIVERY.c.text)).all()
    if rows:
        bind.execute(
            _DELIVERY.update().where(_DELIVERY.c.id == sa.bindparam('row_id')).values(content=sa.bindparam('doc')),
            [{'row_id': row.id, 'doc': _paragraph(row.text)} for row in rows],
        )
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.alter_column('content', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('text')


def downgrade() -> None:
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.add_column(sa.Column('text', sa.String(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_DELIVERY.c.id, _DELIVERY.c.content)).all()
    if rows:
        bind.execute(
            _DELIVERY.update().where(_DELIVERY.c.id == sa.bindparam('row_id')).values(text=sa.bindparam('plain')),
            [{'row_id': row.id, 'plain': _plain(row.content)} for row in rows],
        )
    with op.batch_alter_table('delivery') as batch_op:
        batch_op.alter_column('text', existing_type=sa.String(), nullable=False)
        batch_op.drop_column('content')


def _paragraph(text: str) -> dict[str, Any]:
    return {'sections': [{'label': '', 'paragraphs': [text], 'steps': []}]}


def _plain(content: dict[str, Any]) -> str:
    """The plain text of a content document as this revision knows it (bot.events.Content.to_plain)."""

    def section(s: dict[str, Any]) -> str:
        body = '\n'.join(s['steps']) if s.get('steps') else '\n\n'.join(s.get('paragraphs') or [])
        return f"{s['label']}\n{body}" if s.get('label') else body

    heading = content.get('heading') or ''
    if content.get('urgent'):
        heading = f"‼️ {content['urgent']} · {heading}"
    blocks = [content.get('reminder') or '', heading, f"“{content['title']}”" if content.get('title') else '']
    blocks += [section(s) for s in content.get('sections') or []]
    if content.get('original'):
        blocks.append(section(content['original']))
    if content.get('note'):
        blocks.append(f"({content['note']})")
    return '\n\n'.join(b for b in blocks if b)
