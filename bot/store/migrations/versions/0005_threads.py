"""Threads that complete: items to check, and a mail delivered twice.

`tickets.to_check` holds the requirement codes the bot could not judge (a poor scan, a
file it could not open) for the caseworker; they are never asked of the applicant.
`mails.duplicate_of` points a second delivery of the same mail (same Message-ID or the
same bytes) at the first: it is kept (its source key must stay filed once) but neither
changes the case nor gets a reply. `mails.stranger` marks a mail from a sender new to a
case that already had one: it is read by a caseworker, changes nothing, and its sender
does not become the case's applicant by writing again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("to_check", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("mails") as batch:
        batch.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("stranger", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_mails_duplicate_of", "mails", ["duplicate_of"])


def downgrade() -> None:
    op.drop_index("ix_mails_duplicate_of", table_name="mails")
    with op.batch_alter_table("mails") as batch:
        batch.drop_column("stranger")
        batch.drop_column("duplicate_of")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("to_check")
