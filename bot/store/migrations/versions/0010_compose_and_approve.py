"""Caseworkers write and approve replies: the outbox learns who decided, and why one waited.

- `compose_key`: the idempotency key of a caseworker's compose form, unique, so a double
  click queues one reply;
- `held_reason`, `decided_by`, `decided_at`: a reply that waited for approval
  (`reply_mode`), and the person who wrote, approved, edited or discarded it. The new
  statuses `held` and `discarded` fit the existing `status` column;
- the one-automatic-reply-per-mail index now also leaves out `caseworker_reply`: a
  caseworker may write to the applicant as often as the case needs.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-14 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0011"
branch_labels = None
depends_on = None

_BEFORE = sa.text("action <> 'request_missing_again'")
_AFTER = sa.text("action NOT IN ('request_missing_again', 'caseworker_reply')")


def _automatic_reply_index(where: sa.TextClause) -> None:
    op.create_index(
        "ux_outbox_automatic_reply",
        "outbox",
        ["mail_id"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("compose_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("held_reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ux_outbox_compose_key", "outbox", ["compose_key"], unique=True)
    op.drop_index("ux_outbox_automatic_reply", table_name="outbox")
    _automatic_reply_index(_AFTER)


def downgrade() -> None:
    """Back to one reply per mail besides reminders: the caseworkers' own replies go (as
    migration 0003's downgrade drops the reminders), and a waiting reply is discarded."""
    op.drop_index("ux_outbox_automatic_reply", table_name="outbox")
    op.execute(sa.text("DELETE FROM outbox WHERE action = 'caseworker_reply'"))
    op.execute(sa.text("UPDATE outbox SET status = 'failed' WHERE status IN ('held', 'discarded')"))
    _automatic_reply_index(_BEFORE)
    op.drop_index("ux_outbox_compose_key", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
        batch.drop_column("held_reason")
        batch.drop_column("compose_key")
