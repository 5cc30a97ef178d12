"""Where a filed mail went in the mailbox, and the queue of mailbox copies to delete (#11).

`inbound.moved_folder`, `moved_uidvalidity` and `moved_uid` record where the fetcher
moved a filed mail (IMAP: the destination's UIDVALIDITY and the UID from the MOVE/COPY
response's COPYUID; Maildir: the folder only, the file keeps its key). Deleting a mail's
personal data removes its bytes from the store at once; its copy in the mailbox is
deleted by the fetcher, which works off `mailbox_deletions`, retrying with back-off until
done.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound") as batch:
        batch.add_column(sa.Column("moved_folder", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("moved_uidvalidity", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("moved_uid", sa.BigInteger(), nullable=True))
    op.create_table(
        "mailbox_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("mail_id", sa.Integer(), sa.ForeignKey("mails.id"), nullable=False),
        sa.Column("source_key", sa.String(length=1000), nullable=False),
        sa.Column("mailbox", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mail_id"),
    )
    op.create_index(
        "ix_mailbox_deletions_state_next", "mailbox_deletions", ["state", "next_attempt_at"]
    )
    op.create_index("ix_mailbox_deletions_ticket_id", "mailbox_deletions", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_deletions_ticket_id", table_name="mailbox_deletions")
    op.drop_index("ix_mailbox_deletions_state_next", table_name="mailbox_deletions")
    op.drop_table("mailbox_deletions")
    with op.batch_alter_table("inbound") as batch:
        batch.drop_column("moved_uid")
        batch.drop_column("moved_uidvalidity")
        batch.drop_column("moved_folder")
