"""merge stage branches

Revision ID: 0006_merge
Revises: 0002_hashsets, 0003_web, 0004_casework, 0005_operations
Create Date: 2026-11-25 14:12:22.505596
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_merge'
down_revision = ('0002_hashsets', '0003_web', '0004_casework', '0005_operations')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
