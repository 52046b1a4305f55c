"""Fixtures in the flaskr style: app, client, runner, auth, plus a small two-township county.

The schema is built once per run through the real migrations. Each test then works on empty
tables, which are cleared afterwards. Set TEST_DATABASE_URL to run the suite on PostgreSQL.
"""
from __future__ import annotations

import os

import flask_migrate
import pytest
import sqlalchemy as sa
from jinja2 import BytecodeCache
from werkzeug.routing.rules import Rule

from campaign import create_app
from campaign.extensions import db, limiter
from campaign.jobs import runner as jobs

from . import factories

pytest_plugins = ["tests.browser"]  # the live_server and browser fixtures

PASSWORD = "test-password-1"
TEST_PERSONAL_DATA_KEY = "dGVzdC1wZXJzb25hbC1kYXRhLWtleS0zMi1ieXRlcyE="  # 32 bytes, tests only


def _test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PERSONAL_DATA_KEY": TEST_PERSONAL_DATA_KEY,
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": factories.TEST_HASH_METHOD,  # scrypt costs 0.1 s a log-in
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(_test_config(database_url))
    with app.app_context():
        db.drop_all()
        db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        flask_migrate.upgrade()
        db.engine.dispose()


def clear_tables() -> None:
    """Empty every table, dependents first, and start every id again at 1. On PostgreSQL a DELETE of a
    test's few rows costs a tenth of a TRUNCATE, which makes each table a new file; the tables a trigger
    guards (the append-only audit log refuses DELETE) are truncated, and so is everything after a demo."""
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name != "postgresql":
            for table in tables:
                connection.exec_driver_sql(f'DELETE FROM "{table}"')
            return
        # A demo's tens of thousands of rows are faster truncated: deleting them checks every foreign key
        # row by row (a minute and more); a test's few rows are faster deleted.
        if connection.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM household OFFSET 2000)").scalar():
            quoted = ", ".join(f'"{table}"' for table in tables)
            connection.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            return
        guarded = {name.strip('"') for name in connection.exec_driver_sql(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal").scalars()}
        connection.exec_driver_sql("; ".join(  # one round trip
            f'TRUNCATE "{table}" CASCADE' if table in guarded else f'DELETE FROM "{table}"' for table in tables))
        sequences = connection.exec_driver_sql(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
            "WHERE schemaname = current_schema()").scalars().all()
        if sequences:
            connection.exec_driver_sql("; ".join(f"SELECT setval('{name}', 1, false)" for name in sequences))


class SharedTemplates(BytecodeCache):
    """Compiled templates shared by every test's app: each app has its own Jinja environment and
    would otherwise compile the same templates again. A changed template has another checksum."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedTemplates()


def _shared_url_builders() -> None:
    """Werkzeug compiles two URL builder functions per route for every app, through ``ast`` and
    ``compile()``: two thirds of the time of ``create_app``, paid again by every test. A builder
    depends only on its rule's text and defaults (it reads the converters from the rule it is
    bound to), so the functions compiled for the first app serve every later one."""
    compiled: dict[tuple, object] = {}
    compile_builder = Rule._compile_builder

    def cached(self, append_unknown: bool = True):
        key = (self.rule, self.subdomain, self.host, tuple(self._trace),
               repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = cached


_shared_url_builders()


@pytest.fixture
def app(_schema, database_url):
    """The app, with no context pushed: each request gets its own context and session, as in
    production. Check the database inside ``with app.app_context():``."""
    app = create_app(_test_config(database_url))
    app.jinja_env.bytecode_cache = TEMPLATES
    limiter.reset()  # the limiter's memory storage outlives the app: no counts leak between tests
    yield app
    jobs.wait_all()  # background jobs finish before their tables are cleared
    with app.app_context():
        clear_tables()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services and builders without HTTP."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        return self._client.post("/login", data={"username": username, "password": password}, **kwargs)

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def county(app):
    """Two townships (A and B) with villages, grids and households, and users of each role.

    Returned as plain values (ids, codes, names), since the objects' session is gone."""
    with app.app_context():
        return factories.snapshot(factories.small_county())
