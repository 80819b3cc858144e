"""final grades: the reason a supervisor gave for overriding a hash match or a grade

Revision ID: 0007_grade_override
Revises: 0006_merge
Create Date: 2026-12-08 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_grade_override'
down_revision = '0006_merge'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('final_grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('final_grades', schema=None) as batch_op:
        batch_op.drop_column('reason')
