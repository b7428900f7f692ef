"""app auth: sign-in sessions (token families), phone verifications, rate-limit counters

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 15:08:48.838323

Drafted with autogenerate on top of 0007, then edited by hand: the tables of
``app.mobile.models`` and ``app.security.rate_limits``. A branch beside 0008 and 0010, to be
merged later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.sqltypes

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_phone_verifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('phone_enc', sa.String(length=400), nullable=False),
    sa.Column('code_nonce', sa.String(length=32), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('code_attempts', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=True),
    sa.Column('token_expires_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sent_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(code_digest IS NULL) = (code_expires_at IS NULL)', name=op.f('ck_app_phone_verifications_code_with_expiry')),
    sa.CheckConstraint('(token_sha256 IS NULL) = (token_expires_at IS NULL)', name=op.f('ck_app_phone_verifications_token_with_expiry')),
    sa.CheckConstraint('code_attempts >= 0 AND code_attempts <= 5', name=op.f('ck_app_phone_verifications_code_attempts_bounded')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_phone_verifications')),
    sa.UniqueConstraint('phone_index', name=op.f('uq_app_phone_verifications_phone_index')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_app_phone_verifications_token_sha256'))
    )
    with op.batch_alter_table('app_phone_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_phone_verifications_last_sent_at'), ['last_sent_at'], unique=False)

    op.create_table('rate_limit_counters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('window_start', ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.CheckConstraint('expires_at > window_start', name=op.f('ck_rate_limit_counters_window_positive')),
    sa.CheckConstraint('hits >= 0', name=op.f('ck_rate_limit_counters_hits_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_counters')),
    sa.UniqueConstraint('key', 'window_start', name='uq_rate_limit_counters_key_window')
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_counters_expires_at', ['expires_at'], unique=False)

    op.create_table('app_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('borrower_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('access_token_sha256', sa.String(length=64), nullable=False),
    sa.Column('access_expires_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_token_sha256', sa.String(length=64), nullable=False),
    sa.Column('refresh_expires_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rotations', sa.Integer(), nullable=False),
    sa.Column('created_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', ledger.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=16), nullable=True),
    sa.CheckConstraint("revoked_reason IS NULL OR revoked_reason IN ('logout', 'refresh_reused', 'pin_changed', 'session_cap')", name=op.f('ck_app_sessions_revoked_reason_known')),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_reason IS NULL)', name=op.f('ck_app_sessions_revoked_with_reason')),
    sa.CheckConstraint('rotations >= 0', name=op.f('ck_app_sessions_rotations_non_negative')),
    sa.ForeignKeyConstraint(['borrower_id'], ['borrowers.id'], name=op.f('fk_app_sessions_borrower_id_borrowers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_sessions')),
    sa.UniqueConstraint('access_token_sha256', name=op.f('uq_app_sessions_access_token_sha256')),
    sa.UniqueConstraint('public_id', name=op.f('uq_app_sessions_public_id')),
    sa.UniqueConstraint('refresh_token_sha256', name=op.f('uq_app_sessions_refresh_token_sha256'))
    )
    with op.batch_alter_table('app_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_sessions_borrower_id'), ['borrower_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('app_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_sessions_borrower_id'))

    op.drop_table('app_sessions')
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_counters_expires_at')

    op.drop_table('rate_limit_counters')
    with op.batch_alter_table('app_phone_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_phone_verifications_last_sent_at'))

    op.drop_table('app_phone_verifications')
