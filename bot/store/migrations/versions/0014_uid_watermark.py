"""The IMAP fetcher's UID watermark (issue #13): the highest UID queued, per mailbox.

`mailboxes.fetched_uidvalidity` and `fetched_uid` say that every mail of the mailbox's
folder up to that UID (under that UIDVALIDITY) is queued or was handled, so the next
fetch asks the server for `UID n+1:*` only, after a restart too. Empty for existing rows
and for Maildir sources: the first fetch lists the whole folder, as before.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-08 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mailboxes") as batch:
        batch.add_column(sa.Column("fetched_uidvalidity", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("fetched_uid", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailboxes") as batch:
        batch.drop_column("fetched_uid")
        batch.drop_column("fetched_uidvalidity")
