"""Field cipher for personal data (个人信息): AES-256-GCM per value, and a keyed blind index for lookups.

The key never enters the database. It comes from ``FLASK_PERSONAL_DATA_KEY`` (32 bytes, URL-safe
base64), or from ``instance/personal_data_key``, made on first start. Two keys are derived from it
with HKDF, one to encrypt and one for the blind index, so neither reveals the other. A wrong or lost
key stops the app at start-up with a message saying so, instead of showing garbage later.
"""
from __future__ import annotations

import base64
import hmac
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from sqlalchemy.types import TypeDecorator

KEY_FILE = "personal_data_key"
PREFIX = "v1:"  # format and key version, so that a later key rotation can tell old values from new
NONCE_BYTES = 12
GENERATE = 'python -c "import secrets,base64; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'


class PersonalDataKeyError(RuntimeError):
    """The personal data key is missing, malformed, or not the one the data was encrypted with."""


class FieldCipher:
    def __init__(self, master: bytes):
        if len(master) != 32:
            raise PersonalDataKeyError("The personal data key must be 32 bytes.")
        self._aead = AESGCM(_derive(master, b"campaign personal data: encryption"))
        self._index_key = _derive(master, b"campaign personal data: blind index")

    def encrypt(self, text: str, context: str) -> str:
        """A fresh nonce each time; ``context`` (the column) is bound in, so values cannot be swapped."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), context.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        if not token.startswith(PREFIX):
            raise PersonalDataKeyError(f"{context} holds a value that is not encrypted: run `flask db upgrade`.")
        raw = base64.b64decode(token[len(PREFIX):])
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag:
            raise PersonalDataKeyError(
                "The personal data key does not match the data in the database: restore the key the data was "
                "encrypted with (FLASK_PERSONAL_DATA_KEY or instance/personal_data_key).") from None

    def index(self, text: str, context: str) -> str:
        """HMAC-SHA256 under the index key: equal values match, nothing else can be learned or guessed offline."""
        return hmac.digest(self._index_key, f"{context}\x00{text}".encode(), "sha256").hex()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def cipher() -> FieldCipher:
    return current_app.extensions["personal_data_cipher"]


class Encrypted(TypeDecorator):
    """A text column stored encrypted; Python code reads and writes plain text."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int, *, context: str):
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value, dialect):
        return None if value is None else cipher().encrypt(value, self.context)

    def process_result_value(self, value, dialect):
        return None if value is None else cipher().decrypt(value, self.context)


def parse_key(text: str, source: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise PersonalDataKeyError(f"{source} must be 32 random bytes in URL-safe base64. Make one with: {GENERATE}")
    return key


def load_key(app: Flask) -> bytes:
    """FLASK_PERSONAL_DATA_KEY, else the instance key file, made on first start unless data needs the old one."""
    configured = app.config.get("PERSONAL_DATA_KEY")
    if configured:
        return parse_key(str(configured), "FLASK_PERSONAL_DATA_KEY")
    path = Path(app.instance_path) / KEY_FILE
    if not path.exists():
        if _holds_encrypted_data(app):
            raise PersonalDataKeyError(
                f"{path} is missing, but the database holds personal data encrypted with it: restore the key file "
                "or set FLASK_PERSONAL_DATA_KEY. A new key cannot read the old data.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        os.chmod(path, 0o600)
    return parse_key(path.read_text(), str(path))


def _sample(app: Flask) -> str | None:
    """One encrypted phone from the database, or None (no table yet, or nothing encrypted)."""
    from campaign.extensions import db

    with app.app_context():
        try:
            with db.engine.connect() as connection:
                return connection.execute(sa.text(
                    f"SELECT phone FROM household WHERE phone LIKE '{PREFIX}%' LIMIT 1")).scalar()
        except sa.exc.DBAPIError:
            return None


def _holds_encrypted_data(app: Flask) -> bool:
    return _sample(app) is not None


def init_app(app: Flask) -> None:
    """Load the key and check it against the data already stored: a wrong key stops the start."""
    field_cipher = FieldCipher(load_key(app))
    sample = _sample(app)
    if sample is not None:
        field_cipher.decrypt(sample, "household.phone")
    app.extensions["personal_data_cipher"] = field_cipher
