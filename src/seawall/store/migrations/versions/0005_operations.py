"""operations: DF backlog items, teams, staff, credentials, allocations

Revision ID: 0005_operations
Revises: 0001_scan
Create Date: 2026-11-26 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_operations'
down_revision = '0001_scan'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ops_teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'ops_staff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_number', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=50), nullable=False),
        sa.Column('dedicated_ocsa', sa.Boolean(), nullable=True),
        sa.Column('hours_per_week', sa.Float(), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['ops_teams.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('staff_number'),
    )
    op.create_index('ix_ops_staff_team_id', 'ops_staff', ['team_id'])
    op.create_table(
        'ops_credentials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=50), nullable=False),
        sa.Column('level', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('achieved_on', sa.Date(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['ops_staff.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('staff_id', 'code', 'level'),
    )
    op.create_index('ix_ops_credentials_staff_id', 'ops_credentials', ['staff_id'])
    op.create_table(
        'ops_allocations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('case_reference', sa.String(length=200), nullable=False),
        sa.Column('task', sa.String(length=40), nullable=False),
        sa.Column('risk_band', sa.String(length=20), nullable=True),
        sa.Column('hours', sa.Float(), nullable=True),
        sa.Column('allocated_at', sa.DateTime(), nullable=False),
        sa.Column('allocated_by', sa.String(length=100), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['ops_staff.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ops_allocations_staff_id', 'ops_allocations', ['staff_id'])
    op.create_table(
        'ops_backlog_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_reference', sa.String(length=200), nullable=False),
        sa.Column('exhibit_reference', sa.String(length=200), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('exhibit_id', sa.Integer(), nullable=True),
        sa.Column('exhibit_type', sa.String(length=20), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('risk_band', sa.String(length=20), nullable=True),
        sa.Column('safeguarding', sa.Boolean(), nullable=False),
        sa.Column('estimated_hours', sa.Float(), nullable=True),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('reported_on', sa.Date(), nullable=True),
        sa.Column('actual_hours', sa.Float(), nullable=True),
        sa.Column('examiner_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['exhibit_id'], ['exhibits.id']),
        sa.ForeignKeyConstraint(['examiner_id'], ['ops_staff.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_reference', 'exhibit_reference'),
    )
    op.create_index('ix_ops_backlog_items_case_reference', 'ops_backlog_items',
                    ['case_reference'])
    op.create_index('ix_ops_backlog_items_case_id', 'ops_backlog_items', ['case_id'])
    op.create_index('ix_ops_backlog_items_received_on', 'ops_backlog_items', ['received_on'])
    op.create_index('ix_ops_backlog_items_status', 'ops_backlog_items', ['status'])


def downgrade() -> None:
    op.drop_table('ops_backlog_items')
    op.drop_table('ops_allocations')
    op.drop_table('ops_credentials')
    op.drop_table('ops_staff')
    op.drop_table('ops_teams')
