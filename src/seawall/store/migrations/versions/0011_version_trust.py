"""hash sets: trust recorded per version (a report names the trust that applied)

Revision ID: 0011_version_trust
Revises: 0010_hashset_controls
Create Date: 2026-12-08 02:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_version_trust'
down_revision = '0010_hashset_controls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('hash_set_versions', sa.Column('trusted', sa.Boolean(), nullable=False,
                                                 server_default=sa.true()))
    # Versions imported before took their set's trust.
    op.execute("UPDATE hash_set_versions SET trusted = (SELECT hash_sets.trusted FROM "
               "hash_sets WHERE hash_sets.id = hash_set_versions.hash_set_id)")


def downgrade() -> None:
    with op.batch_alter_table('hash_set_versions') as batch:
        batch.drop_column('trusted')
