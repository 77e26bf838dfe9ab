"""Baseline: the read model as `create_all` made it before migrations (adopted databases start here).

Revision ID: 0001
Revises:
Create Date: 2026-11-24 21:48:35.798047
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("parent", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ring", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_level"), ["level"], unique=False)

    op.create_table(
        "category",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("class_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("class_name_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("class_name_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("default_department", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Integer(), nullable=True),
        sa.Column("duplicate_window_hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_class_code"), ["class_code"], unique=False)

    op.create_table(
        "category_class",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "deadline_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_rule_category"), ["category"], unique=False)

    op.create_table(
        "department",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "grid",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("street", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ring", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "seq", "kind", "target"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_target"), ["target"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "photo",
        sa.Column("photo_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("uploader_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("attached_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("photo_id"),
    )
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_uploader_id"), ["uploader_id"], unique=False)

    op.create_table(
        "routing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "version"),
    )
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rule_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_routing_rule_effective_to"), ["effective_to"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_routing_rule_rule_id"), ["rule_id"], unique=False)

    op.create_table(
        "subject",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("grid", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("colour", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("open_problems", sa.Integer(), nullable=False),
        sa.Column("observation_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("recheck_due", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("subject", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subject_colour"), ["colour"], unique=False)
        batch_op.create_index(batch_op.f("ix_subject_grid"), ["grid"], unique=False)

    op.create_table(
        "ticket",
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("grid", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reporter_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("routing_rule_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("return_count", sa.Integer(), nullable=False),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("street", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("community", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("extension_count", sa.Integer(), nullable=False),
        sa.Column("breach_count", sa.Integer(), nullable=False),
        sa.Column("parked", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("current_stage", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("current_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_community"), ["community"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ticket_current_due_at"), ["current_due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ticket_escalation_level"), ["escalation_level"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_grid"), ["grid"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_is_open"), ["is_open"], unique=False)
        batch_op.create_index(
            "ix_ticket_open_category_due",
            [
                "category",
                "is_open",
                "current_due_at",
                "submitted_at",
                "overdue",
                "escalation_level",
                "ticket_id",
            ],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index(
            "ix_ticket_open_community_due",
            [
                "community",
                "is_open",
                "current_due_at",
                "submitted_at",
                "overdue",
                "escalation_level",
                "ticket_id",
            ],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index(
            "ix_ticket_open_department_due",
            [
                "department",
                "is_open",
                "current_due_at",
                "submitted_at",
                "overdue",
                "escalation_level",
                "ticket_id",
            ],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index(
            "ix_ticket_open_due",
            [
                "is_open",
                "current_due_at",
                "submitted_at",
                "overdue",
                "escalation_level",
                "ticket_id",
            ],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index(
            "ix_ticket_open_grid_due",
            [
                "grid",
                "is_open",
                "current_due_at",
                "submitted_at",
                "overdue",
                "escalation_level",
                "ticket_id",
            ],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index(
            "ix_ticket_open_street_due",
            [
                "street",
                "is_open",
                "current_due_at",
                "submitted_at",
                "overdue",
                "escalation_level",
                "ticket_id",
            ],
            unique=False,
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.create_index(batch_op.f("ix_ticket_overdue"), ["overdue"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_street"), ["street"], unique=False)

    op.create_table(
        "ticket_archive",
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("archived_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("final_status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "seq"),
    )
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_event_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "user",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "work_calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "work_calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("loaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("work_calendar_year")
    op.drop_table("work_calendar_day")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_token_hash"))

    op.drop_table("user")
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_event_ticket_id"))

    op.drop_table("ticket_event")
    op.drop_table("ticket_archive")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_street"))
        batch_op.drop_index(batch_op.f("ix_ticket_status"))
        batch_op.drop_index(batch_op.f("ix_ticket_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_overdue"))
        batch_op.drop_index(
            "ix_ticket_open_street_due",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(
            "ix_ticket_open_grid_due",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(
            "ix_ticket_open_due",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(
            "ix_ticket_open_department_due",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(
            "ix_ticket_open_community_due",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(
            "ix_ticket_open_category_due",
            sqlite_where=sa.text("is_open = 1"),
            postgresql_where=sa.text("is_open"),
        )
        batch_op.drop_index(batch_op.f("ix_ticket_is_open"))
        batch_op.drop_index(batch_op.f("ix_ticket_grid"))
        batch_op.drop_index(batch_op.f("ix_ticket_escalation_level"))
        batch_op.drop_index(batch_op.f("ix_ticket_device_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_department"))
        batch_op.drop_index(batch_op.f("ix_ticket_current_due_at"))
        batch_op.drop_index(batch_op.f("ix_ticket_community"))
        batch_op.drop_index(batch_op.f("ix_ticket_closed_at"))
        batch_op.drop_index(batch_op.f("ix_ticket_category"))

    op.drop_table("ticket")
    with op.batch_alter_table("subject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_grid"))
        batch_op.drop_index(batch_op.f("ix_subject_colour"))

    op.drop_table("subject")
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_rule_rule_id"))
        batch_op.drop_index(batch_op.f("ix_routing_rule_effective_to"))
        batch_op.drop_index(batch_op.f("ix_routing_rule_category"))

    op.drop_table("routing_rule")
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_uploader_id"))
        batch_op.drop_index(batch_op.f("ix_photo_ticket_id"))

    op.drop_table("photo")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_notification_target"))

    op.drop_table("notification")
    op.drop_table("grid")
    op.drop_table("department")
    with op.batch_alter_table("deadline_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_rule_category"))

    op.drop_table("deadline_rule")
    op.drop_table("category_class")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_class_code"))

    op.drop_table("category")
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_level"))

    op.drop_table("area")
