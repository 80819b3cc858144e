"""casework: case details, officers, suspects, offences, seized devices, assessments,
pathway decisions

Revision ID: 0004_casework
Revises: 0001_scan
Create Date: 2026-11-26 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_casework'
down_revision = '0001_scan'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('casework_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id')
    )
    op.create_table('casework_officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=60), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'username', 'role')
    )
    with op.batch_alter_table('casework_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_casework_officers_case_id'), ['case_id'], unique=False)

    op.create_table('suspects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('circumstances', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'reference')
    )
    with op.batch_alter_table('suspects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspects_case_id'), ['case_id'], unique=False)

    op.create_table('offences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('suspect_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('legislation', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offences_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offences_suspect_id'), ['suspect_id'], unique=False)

    op.create_table('seized_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('suspect_id', sa.Integer(), nullable=True),
    sa.Column('exhibit_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('make', sa.String(length=100), nullable=True),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('serial', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['exhibit_id'], ['exhibits.id'], ),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'reference')
    )
    with op.batch_alter_table('seized_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seized_devices_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seized_devices_exhibit_id'), ['exhibit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seized_devices_suspect_id'), ['suspect_id'], unique=False)

    op.create_table('risk_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('suspect_id', sa.Integer(), nullable=False),
    sa.Column('instrument', sa.String(length=100), nullable=False),
    sa.Column('instrument_version', sa.String(length=100), nullable=False),
    sa.Column('instrument_sha256', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('band', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('assessor', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['supersedes_id'], ['risk_assessments.id'], ),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_assessments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_assessments_suspect_id'), ['suspect_id'], unique=False)

    op.create_table('pathway_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('suspect_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('recommended', sa.String(length=40), nullable=True),
    sa.Column('recommendation', sa.JSON(), nullable=False),
    sa.Column('decided', sa.String(length=40), nullable=False),
    sa.Column('departure', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['suspect_id'], ['suspects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pathway_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_decisions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pathway_decisions_suspect_id'), ['suspect_id'], unique=False)


def downgrade() -> None:
    for table, indexes in [
        ('pathway_decisions', ['ix_pathway_decisions_suspect_id', 'ix_pathway_decisions_case_id']),
        ('risk_assessments', ['ix_risk_assessments_suspect_id', 'ix_risk_assessments_case_id']),
        ('seized_devices', ['ix_seized_devices_suspect_id', 'ix_seized_devices_exhibit_id',
                            'ix_seized_devices_case_id']),
        ('offences', ['ix_offences_suspect_id', 'ix_offences_case_id']),
        ('suspects', ['ix_suspects_case_id']),
        ('casework_officers', ['ix_casework_officers_case_id']),
        ('casework_cases', []),
    ]:
        if indexes:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for index in indexes:
                    batch_op.drop_index(index)
        op.drop_table(table)
