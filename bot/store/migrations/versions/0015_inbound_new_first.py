"""New mail before backlog (issue #13): an index the claim reads answerable mail through.

Workers claim queued mail that may be answered (it arrived after the reply cut-off) before
the backlog that is only filed, so an applicant's reply never waits behind a first import
of thousands of old mails. `(state, may_reply, id)` lets both claims read in queue order
without scanning the other kind.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_state_reply_id", "inbound", ["state", "may_reply", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_state_reply_id", table_name="inbound")
