"""Personal data sent by mail (issue #11): flagged on the ticket, deleted from the mail.

`tickets.personal_data` is set when any mail of the ticket held national ID numbers: the
ticket is flagged at the top of its page and in the queue, and the queue filters on it.
`mails.personal_data` marks the mail itself (its verdict's `personal_data` says where and
how many); `mails.personal_data_deleted_at` is when its raw bytes, the attachments that
held the numbers and their extracted text were deleted from the store.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("personal_data", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("mails") as batch:
        batch.add_column(
            sa.Column("personal_data", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("personal_data_deleted_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_tickets_personal_data", "tickets", ["personal_data"])
    op.create_index("ix_mails_personal_data", "mails", ["personal_data"])


def downgrade() -> None:
    op.drop_index("ix_mails_personal_data", table_name="mails")
    op.drop_index("ix_tickets_personal_data", table_name="tickets")
    with op.batch_alter_table("mails") as batch:
        batch.drop_column("personal_data_deleted_at")
        batch.drop_column("personal_data")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("personal_data")
