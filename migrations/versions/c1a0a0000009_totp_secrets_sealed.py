"""totp secrets sealed

Second-factor secrets are encrypted at rest with the personal data key (AES-GCM, context
"user.totp_secret"), so a copy of the database alone does not give away anyone's second factor.
Existing secrets are converted with the key the app itself loads.

Revision ID: c1a0a0000009
Revises: c1a0a0000008
Create Date: 2026-11-29 17:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000009'
down_revision = 'c1a0a0000008'
branch_labels = None
depends_on = None

CONTEXT = "user.totp_secret"


def _convert(transform) -> None:
    connection = op.get_bind()
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))
    rows = connection.execute(sa.select(user.c.id, user.c.totp_secret).where(user.c.totp_secret.is_not(None))).all()
    for row_id, secret in rows:
        connection.execute(user.update().where(user.c.id == row_id).values(totp_secret=transform(secret)))


def _widen(old: int, new: int) -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=old), type_=sa.String(length=new),
                              existing_nullable=True)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's batch mode copies the table without the expression index it cannot reflect.
        op.execute('CREATE UNIQUE INDEX IF NOT EXISTS uq_user_username_lower ON "user" (lower(username))')


def upgrade():
    from campaign.core.crypto import PREFIX, cipher

    _widen(64, 160)
    field_cipher = cipher()
    _convert(lambda secret: secret if secret.startswith(PREFIX) else field_cipher.encrypt(secret, CONTEXT))


def downgrade():
    from campaign.core.crypto import PREFIX, cipher

    field_cipher = cipher()
    _convert(lambda secret: field_cipher.decrypt(secret, CONTEXT) if secret.startswith(PREFIX) else secret)
    _widen(160, 64)
