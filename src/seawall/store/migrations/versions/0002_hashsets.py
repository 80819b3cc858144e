"""hash sets, versions, entries and matches

Revision ID: 0002_hashsets
Revises: 0001_scan
Create Date: 2026-11-25 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_hashsets'
down_revision = '0001_scan'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'hash_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('format', sa.String(length=40), nullable=False),
        sa.Column('scheme', sa.String(length=50), nullable=False),
        sa.Column('trusted', sa.Boolean(), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('current_version_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'hash_set_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hash_set_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('format', sa.String(length=40), nullable=False),
        sa.Column('format_detail', sa.JSON(), nullable=False),
        sa.Column('scheme', sa.String(length=50), nullable=False),
        sa.Column('scheme_toml', sa.Text(), nullable=True),
        sa.Column('source_path', sa.Text(), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('source_size', sa.BigInteger(), nullable=True),
        sa.Column('rows_read', sa.BigInteger(), nullable=False),
        sa.Column('entry_count', sa.BigInteger(), nullable=False),
        sa.Column('duplicate_count', sa.BigInteger(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('warnings', sa.JSON(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('import_seconds', sa.Float(), nullable=True),
        sa.Column('tool_version', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['hash_set_id'], ['hash_sets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('hash_set_id', 'version'),
    )
    with op.batch_alter_table('hash_set_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hash_set_versions_hash_set_id'), ['hash_set_id'],
                              unique=False)

    op.create_table(
        'hash_entries',
        sa.Column('id', BigId, nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('value', sa.LargeBinary(length=32), nullable=False),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('raw_code', sa.String(length=40), nullable=True),
        sa.Column('position', sa.BigInteger(), nullable=True),
        sa.Column('payload', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['version_id'], ['hash_set_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        batch_op.create_index('ix_hash_entries_lookup', ['version_id', 'kind', 'value'],
                              unique=False)

    op.create_table(
        'hash_matches',
        sa.Column('id', BigId, nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.BigInteger(), nullable=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('distance', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.Column('matched_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['files.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['hash_set_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('hash_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hash_matches_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hash_matches_version_id'), ['version_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hash_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hash_matches_version_id'))
        batch_op.drop_index(batch_op.f('ix_hash_matches_file_id'))
    op.drop_table('hash_matches')
    with op.batch_alter_table('hash_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_hash_entries_lookup')
    op.drop_table('hash_entries')
    with op.batch_alter_table('hash_set_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hash_set_versions_hash_set_id'))
    op.drop_table('hash_set_versions')
    op.drop_table('hash_sets')
