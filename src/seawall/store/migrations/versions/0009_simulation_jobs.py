"""web: what-if simulations run in the background, with progress

Revision ID: 0009_simulation_jobs
Revises: 0008_backlog_processing
Create Date: 2026-12-08 01:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_simulation_jobs'
down_revision = '0008_backlog_processing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'simulation_jobs',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('owner', sa.String(length=100), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('runs_done', sa.Integer(), nullable=False),
        sa.Column('runs_total', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_simulation_jobs_owner', 'simulation_jobs', ['owner'])


def downgrade() -> None:
    op.drop_index('ix_simulation_jobs_owner', table_name='simulation_jobs')
    op.drop_table('simulation_jobs')
