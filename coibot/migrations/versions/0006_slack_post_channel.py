"""slack post channel

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The channel id Slack answered (a target configured as #name is answered with its id): with
    # the ts, enough to write a post's slack_message rows again from its claim.
    with op.batch_alter_table('slack_post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posted_channel', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('slack_post', schema=None) as batch_op:
        batch_op.drop_column('posted_channel')
