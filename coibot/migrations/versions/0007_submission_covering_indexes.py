"""submission covering indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 05:00:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The reminder decisions join every policy near a milestone to its submission and test every
    # provider-client pair for a certificate on file: with these two indexes both read the index
    # alone instead of a row per probe. Each replaces the narrower index it starts with.
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_provider_client_status',
                              ['provider_id', 'client_id', 'status', 'certificate_id', 'requirement_set_id'],
                              unique=False)
        batch_op.create_index('ix_submission_certificate_status',
                              ['certificate_id', 'status', 'provider_id', 'client_id', 'requirement_set_id',
                               'id'], unique=False)
        batch_op.drop_index('ix_submission_provider_client')
        batch_op.drop_index('ix_submission_certificate_id')


def downgrade() -> None:
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_certificate_id', ['certificate_id'], unique=False)
        batch_op.create_index('ix_submission_provider_client', ['provider_id', 'client_id'], unique=False)
        batch_op.drop_index('ix_submission_certificate_status')
        batch_op.drop_index('ix_submission_provider_client_status')
