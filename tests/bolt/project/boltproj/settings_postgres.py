"""The project on the PostgreSQL server a test started (tests/postgres.py), with the
connection settings the test names in the environment."""

import os

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "dbapp"]  # noqa: F405
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("BOLT_PG_PORT", "5432"),
        "CONN_MAX_AGE": float(os.environ.get("BOLT_CONN_MAX_AGE", "0")),
        "CONN_HEALTH_CHECKS": os.environ.get("BOLT_CONN_HEALTH_CHECKS") == "1",
        # The test counts the server's connections by this name.
        "OPTIONS": {"application_name": "bolt-server", "connect_timeout": 2},
    }
}
BOLT_READY_TIMEOUT = float(os.environ.get("BOLT_READY_TIMEOUT", "2"))
