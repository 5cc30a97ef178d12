"""When a ticket's first mail arrived (issue #12, open work first).

`tickets.received_at` is the mailbox's arrival time of the case's first mail (IMAP
INTERNALDATE, the Maildir file's time), never later than the filing. The queue shows each
ticket's age from it, sorts on it, and marks open tickets older than `answer_within_days`
as overdue; indexed for that. Existing tickets get their earliest mail's arrival, or their
filing time when the source gave none.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE tickets SET received_at = (
            SELECT CASE WHEN MIN(mails.received_at) IS NULL
                          OR MIN(mails.received_at) > tickets.created_at
                        THEN tickets.created_at
                        ELSE MIN(mails.received_at) END
            FROM mails WHERE mails.ticket_id = tickets.id
        )
        """
    )
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("received_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index("ix_tickets_received_at", "tickets", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_received_at", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("received_at")
