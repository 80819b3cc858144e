"""backlog processing: an item's exhibit path, scan status and results, processor lease

Revision ID: 0008_backlog_processing
Revises: 0007_grade_override
Create Date: 2026-12-08 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_backlog_processing'
down_revision = '0007_grade_override'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ops_backlog_items') as batch:
        batch.add_column(sa.Column('path', sa.Text(), nullable=True))
        batch.add_column(sa.Column('scan_status', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('scan_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('scan_started', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('scan_finished', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('scan_files', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('scan_errors', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('scan_counts', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('lease_owner', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('lease_expires', sa.DateTime(), nullable=True))
    op.create_index('ix_ops_backlog_items_scan_status', 'ops_backlog_items', ['scan_status'])


def downgrade() -> None:
    op.drop_index('ix_ops_backlog_items_scan_status', 'ops_backlog_items')
    with op.batch_alter_table('ops_backlog_items') as batch:
        for name in ('lease_expires', 'lease_owner', 'scan_counts', 'scan_errors',
                     'scan_files', 'scan_finished', 'scan_started', 'scan_error',
                     'scan_status', 'path'):
            batch.drop_column(name)
