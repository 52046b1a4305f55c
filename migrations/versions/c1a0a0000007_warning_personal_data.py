"""warning personal data

A warning's phone is encrypted at rest, like a household's (AES-GCM, key outside the database,
context "warning.phone"); existing phones are converted with the key the app itself loads
(FLASK_PERSONAL_DATA_KEY or instance/personal_data_key). No blind index: warnings are not searched
by phone.

Text stored as typed (issue 13): rows stored before were NFKC-folded, so their Chinese punctuation
is ASCII now. What was typed cannot be known from what was stored, so no stored text is changed.

Revision ID: c1a0a0000007
Revises: c1a0a0000006
Create Date: 2026-11-29 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000007'
down_revision = 'c1a0a0000006'
branch_labels = None
depends_on = None

CONTEXT = "warning.phone"
BATCH = 5000


def _convert(transform) -> None:
    """Rewrite every stored phone through ``transform(phone) -> phone``, in batches."""
    connection = op.get_bind()
    warning = sa.table("fraud_warning", sa.column("id", sa.Integer), sa.column("phone", sa.String))
    last = 0
    while True:
        rows = connection.execute(sa.select(warning.c.id, warning.c.phone)
                                  .where(warning.c.id > last, warning.c.phone.is_not(None))
                                  .order_by(warning.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(warning.update().where(warning.c.id == sa.bindparam("row_id"))
                           .values(phone=sa.bindparam("new_phone")),
                           [{"row_id": row_id, "new_phone": transform(phone)} for row_id, phone in rows])
        last = rows[-1][0]


def upgrade():
    from campaign.core.crypto import PREFIX, cipher

    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), type_=sa.String(length=120),
                              existing_nullable=True)

    field_cipher = cipher()
    # Already encrypted (a re-run after a partial upgrade): left as it is.
    _convert(lambda phone: phone if phone.startswith(PREFIX) else field_cipher.encrypt(phone, CONTEXT))


def downgrade():
    from campaign.core.crypto import PREFIX, cipher

    field_cipher = cipher()
    _convert(lambda phone: field_cipher.decrypt(phone, CONTEXT) if phone.startswith(PREFIX) else phone)
    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=120), type_=sa.String(length=20),
                              existing_nullable=True)
