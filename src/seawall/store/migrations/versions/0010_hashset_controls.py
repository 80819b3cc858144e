"""hash sets: per-version PDQ distance and role (positive, or negative: known false positives)

Revision ID: 0010_hashset_controls
Revises: 0009_simulation_jobs
Create Date: 2026-12-08 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_hashset_controls'
down_revision = '0009_simulation_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('hash_set_versions', sa.Column('pdq_distance', sa.Integer(), nullable=False,
                                                 server_default='31'))
    op.add_column('hash_set_versions', sa.Column('role', sa.String(length=20), nullable=False,
                                                 server_default='positive'))


def downgrade() -> None:
    with op.batch_alter_table('hash_set_versions') as batch:
        batch.drop_column('role')
        batch.drop_column('pdq_distance')
