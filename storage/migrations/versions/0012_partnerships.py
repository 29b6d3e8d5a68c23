"""partnership set-up, the communication plan, meetings, and consent for outside partners

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:27:40.892036
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("shared", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "asked",
                "given",
                "refused",
                "withdrawn",
                "override",
                name="consentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("how", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"], name=op.f("fk_consent_decided_by_person")),
        sa.ForeignKeyConstraint(["partner_id"], ["person.id"], name=op.f("fk_consent_partner_id_person")),
        sa.ForeignKeyConstraint(["recorded_by"], ["person.id"], name=op.f("fk_consent_recorded_by_person")),
        sa.ForeignKeyConstraint(["requested_by"], ["person.id"], name=op.f("fk_consent_requested_by_person")),
        sa.ForeignKeyConstraint(["student_id"], ["student.id"], name=op.f("fk_consent_student_id_student")),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["person.id"], name=op.f("fk_consent_withdrawn_by_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_student_id"), ["student_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("present", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], name=op.f("fk_meeting_message_id_message")),
        sa.ForeignKeyConstraint(
            ["partnership_id"], ["partnership.id"], name=op.f("fk_meeting_partnership_id_partnership")
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["person.id"], name=op.f("fk_meeting_recorded_by_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_partnership_id"), ["partnership_id"], unique=False)

    with op.batch_alter_table("partnership", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("goals_language", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column("plan_due_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("plan_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("plan_sent_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("partnershipmember", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("invited_at", storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("answered_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("constraints", sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    with op.batch_alter_table("person", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("safeguarding_lead", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # The new tables first (they point at person); then the columns, dropped in place: recreating
    # person, partnership or partnershipmember on SQLite would fail the foreign keys pointing at them.
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_partnership_id"))
    op.drop_table("meeting")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_student_id"))
        batch_op.drop_index(batch_op.f("ix_consent_partner_id"))
    op.drop_table("consent")

    with op.batch_alter_table("person", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("safeguarding_lead")

    with op.batch_alter_table("partnershipmember", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("constraints")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("invited_at")

    with op.batch_alter_table("partnership", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("plan_sent_at")
        batch_op.drop_column("plan_hash")
        batch_op.drop_column("plan_due_at")
        batch_op.drop_column("goals_language")
        batch_op.drop_column("purpose")
