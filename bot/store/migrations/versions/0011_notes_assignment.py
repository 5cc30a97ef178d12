"""Assignment notices (issue #12): users may have an e-mail address, and the outbox holds
mails that answer no received mail.

`web_users.email` is where a caseworker gets a short notice when someone else assigns a
ticket to them (optional: no address, no notice). The notice goes through the outbox like
every mail the bot sends (written in the assignment's transaction, sent once), but it
answers no mail of the case: `outbox.mail_id` becomes nullable, and such a row never
touches the one-automatic-reply-per-mail index.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-15 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

_AUTOMATIC_REPLY_INDEX = "ux_outbox_automatic_reply"
_AUTOMATIC_ONLY = sa.text("action <> 'request_missing_again'")
"""As migration 0003 made it; recreated around SQLite's table copy."""


def _automatic_reply_index() -> None:
    op.create_index(
        _AUTOMATIC_REPLY_INDEX,
        "outbox",
        ["mail_id"],
        unique=True,
        sqlite_where=_AUTOMATIC_ONLY,
        postgresql_where=_AUTOMATIC_ONLY,
    )


def upgrade() -> None:
    with op.batch_alter_table("web_users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
    op.drop_index(_AUTOMATIC_REPLY_INDEX, table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("mail_id", existing_type=sa.Integer(), nullable=True)
    _automatic_reply_index()


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE mail_id IS NULL")
    op.drop_index(_AUTOMATIC_REPLY_INDEX, table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("mail_id", existing_type=sa.Integer(), nullable=False)
    _automatic_reply_index()
    with op.batch_alter_table("web_users") as batch:
        batch.drop_column("email")
