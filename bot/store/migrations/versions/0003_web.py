"""Web pages: users, login sessions, category corrections; caseworkers may re-send a reply.

The outbox kept one reply per received mail with a unique constraint on `mail_id`. A
caseworker's "send the missing-items reply again" is a second reply to the same mail,
so the constraint becomes a partial unique index: still one *automatic* reply per mail
(the bot's guarantee), any number of replies a caseworker asked for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MANUAL_REPLY_ACTION = "request_missing_again"
"""`outbox.action` of a reply a caseworker asked for (mirrored in `bot.casework`)."""
_AUTOMATIC_ONLY = sa.text(f"action <> '{MANUAL_REPLY_ACTION}'")
# SQLite's unnamed constraints get this name when batch mode reflects the table.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["web_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("previous_category", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("corrected_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["mail_id"], ["mails.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_corrections_ticket_id", "corrections", ["ticket_id"])
    op.create_index("ix_corrections_mail_id", "corrections", ["mail_id"])

    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox", naming_convention=_NAMING) as batch:
            batch.drop_constraint("uq_outbox_mail_id", type_="unique")
    else:
        op.drop_constraint("outbox_mail_id_key", "outbox", type_="unique")
    op.create_index(
        "ux_outbox_automatic_reply",
        "outbox",
        ["mail_id"],
        unique=True,
        sqlite_where=_AUTOMATIC_ONLY,
        postgresql_where=_AUTOMATIC_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ux_outbox_automatic_reply", table_name="outbox")
    op.execute(sa.text(f"DELETE FROM outbox WHERE action = '{MANUAL_REPLY_ACTION}'"))
    with op.batch_alter_table("outbox", naming_convention=_NAMING) as batch:
        batch.create_unique_constraint("uq_outbox_mail_id", ["mail_id"])
    op.drop_index("ix_corrections_mail_id", table_name="corrections")
    op.drop_index("ix_corrections_ticket_id", table_name="corrections")
    op.drop_table("corrections")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_users")
