"""household personal data

Phones are encrypted at rest (AES-GCM, key outside the database) and found through a keyed blind
index; households record when their personal data was erased. Existing phones are converted with the
key the app itself loads (FLASK_PERSONAL_DATA_KEY or instance/personal_data_key).

Revision ID: c1a0a0000002
Revises: c1a0a0000001
Create Date: 2026-11-29 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000002'
down_revision = 'c1a0a0000001'
branch_labels = None
depends_on = None

CONTEXT = "household.phone"
BATCH = 5000


def _convert(transform) -> None:
    """Rewrite every stored phone through ``transform(phone) -> (phone, index)``, in batches."""
    connection = op.get_bind()
    household = sa.table("household", sa.column("id", sa.Integer), sa.column("phone", sa.String),
                         sa.column("phone_index", sa.String))
    last = 0
    while True:
        rows = connection.execute(sa.select(household.c.id, household.c.phone)
                                  .where(household.c.id > last, household.c.phone.is_not(None))
                                  .order_by(household.c.id).limit(BATCH)).all()
        if not rows:
            return
        updates = []
        for row_id, phone in rows:
            new_phone, index = transform(phone)
            updates.append({"row_id": row_id, "new_phone": new_phone, "new_index": index})
        connection.execute(household.update().where(household.c.id == sa.bindparam("row_id"))
                           .values(phone=sa.bindparam("new_phone"), phone_index=sa.bindparam("new_index")),
                           updates)
        last = rows[-1][0]


def upgrade():
    from campaign.core.crypto import PREFIX, cipher

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), type_=sa.String(length=120),
                              existing_nullable=True)
        batch_op.add_column(sa.Column('phone_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_household_phone_index'), ['phone_index'], unique=False)

    field_cipher = cipher()

    def seal(phone):
        if phone.startswith(PREFIX):  # already encrypted (a re-run after a partial upgrade)
            phone = field_cipher.decrypt(phone, CONTEXT)
        digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
        return field_cipher.encrypt(phone, CONTEXT), field_cipher.index(digits, CONTEXT) if digits else None

    _convert(seal)


def downgrade():
    from campaign.core.crypto import PREFIX, cipher

    field_cipher = cipher()
    _convert(lambda phone: (field_cipher.decrypt(phone, CONTEXT) if phone.startswith(PREFIX) else phone, None))
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_phone_index'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('phone_index')
        batch_op.alter_column('phone', existing_type=sa.String(length=120), type_=sa.String(length=20),
                              existing_nullable=True)
