"""Settings of the shared-state project: with ``BOLT_TEST_REDIS`` (a Redis URL) its
groups, its cache (so the revocation store) and its Channels layer are in that Redis;
without it, groups stay in the process and the cache in memory."""

import os

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django_bolt"]
ROOT_URLCONF = "groupsproj.urls"
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True

REDIS_URL = os.environ.get("BOLT_TEST_REDIS")
if REDIS_URL:
    BOLT_GROUPS_BACKEND = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
if "BOLT_TEST_QUEUE_SIZE" in os.environ:
    BOLT_GROUPS_QUEUE_SIZE = int(os.environ["BOLT_TEST_QUEUE_SIZE"])
