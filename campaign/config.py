"""Configuration. Values come from the environment (``FLASK_*``), never from code defaults for secrets."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}


class Config:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")
    LANGUAGES = LANGUAGES
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # Pixels a photo may have once decoded, and all photos of one request together (event uploads).
    PHOTO_MAX_PIXELS = 12_000_000
    PHOTO_REQUEST_PIXELS = 40_000_000
    # An uploaded import larger than this runs as a background job whose page shows its progress.
    IMPORT_BACKGROUND_BYTES = 256 * 1024
    # Data rows and columns one import file may hold, and seconds a background import may run.
    IMPORT_MAX_ROWS = 200_000
    IMPORT_MAX_COLUMNS = 200
    IMPORT_TIME_LIMIT = 600
    # Failed log-ins (limits syntax) per user name at one address, per address, and per user name
    # over all addresses (off: anyone could lock the owner out), and wrong second-factor codes per user.
    LOGIN_LIMIT_PER_USER_ADDRESS = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"
    LOGIN_LIMIT_PER_USER = ""
    LOGIN_LIMIT_CODES = "5 per 15 minutes"
    # Remember-me (grid workers' phones only) lasts at most 30 days; it follows SESSION_COOKIE_SECURE.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # A session left idle this long ends: office and officials, and grid workers' phones.
    IDLE_MINUTES_OFFICE = 30
    IDLE_MINUTES_WORKER = 12 * 60
    PER_PAGE = 50
    # werkzeug's method for new password hashes; existing hashes are checked by the method they name.
    PASSWORD_HASH_METHOD = "scrypt"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True


def instance_secret(instance_path: str) -> str:
    """A per-installation secret kept in the instance folder, made once on first start.

    A production deployment sets ``FLASK_SECRET_KEY`` instead; this only spares a fresh
    ``make run`` from a hard-coded default.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()
