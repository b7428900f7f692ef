"""redact callback bodies: no payer number or name in clear in the inbox

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:00:00

Written by hand, data only. Every stored ``mpesa_callbacks.body`` is rewritten as the inbox
stores bodies now (``app.mpesa.inbox.redacted_again``): each full phone number becomes its
mask and keyed hash (the blind index of ``MKOPO_FIELD_KEYS_PATH``; only the mask when the
keys cannot be read here), each name its keyed hash. A number a payer typed as the account
of a suspense payment (``unmatched_receipts.account_reference``) keeps only its mask.
Downgrade leaves the bodies redacted: what was removed is not kept anywhere to put back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.mpesa.inbox import redacted_again
from app.security.fields import InvalidFieldKeysFile, load_field_crypto
from app.settings import Settings
from integrations.mpesa.redaction import KeyedHash
from integrations.phone import InvalidMsisdn, mask_msisdn, normalise_msisdn

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
callbacks = sa.table("mpesa_callbacks", sa.column("id", sa.Integer), sa.column("body", sa.Text))
receipts = sa.table(
    "unmatched_receipts",
    sa.column("id", sa.Integer),
    sa.column("account_reference", sa.String),
)


def _keyed_hash() -> KeyedHash | None:
    try:
        return load_field_crypto(Settings().field_keys_path).blind_index.digest
    except (OSError, InvalidFieldKeysFile, ValueError):
        return None


def upgrade() -> None:
    connection = op.get_bind()
    keyed_hash = _keyed_hash()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(callbacks.c.id, callbacks.c.body)
            .where(callbacks.c.id > after)
            .order_by(callbacks.c.id)
            .limit(BATCH)
        ).all()
        for callback_id, body in rows:
            redacted = redacted_again(body, keyed_hash)
            if redacted != body:
                connection.execute(
                    callbacks.update().where(callbacks.c.id == callback_id).values(body=redacted)
                )
        if len(rows) < BATCH:
            break
        after = rows[-1][0]
    for receipt_id, reference in connection.execute(
        sa.select(receipts.c.id, receipts.c.account_reference).where(
            receipts.c.account_reference.is_not(None)
        )
    ).all():
        try:
            masked = mask_msisdn(normalise_msisdn(reference))
        except InvalidMsisdn:
            continue
        connection.execute(
            receipts.update().where(receipts.c.id == receipt_id).values(account_reference=masked)
        )


def downgrade() -> None:
    pass  # the redaction is not undone: the values it removed are kept nowhere
