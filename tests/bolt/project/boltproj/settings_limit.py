"""Rate limits kept where the test says (tests/bolt/test_rate_limit_redis.py): the
backend and the failure policy come from the environment of the server it starts."""

import os

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "limitapp"]  # noqa: F405
BOLT_RATE_LIMIT_BACKEND = os.environ.get("BOLT_TEST_RATE_LIMIT_BACKEND", "memory")
BOLT_RATE_LIMIT_FAILURE = os.environ.get("BOLT_TEST_RATE_LIMIT_FAILURE", "open")
