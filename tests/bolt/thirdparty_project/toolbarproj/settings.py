"""django-debug-toolbar's middleware around Bolt routes (DEBUG, INTERNAL_IPS), on a
SQLite file named by BOLT_TEST_DATABASE (tests/bolt/test_third_party_middleware.py)."""

import os

SECRET_KEY = "third-party-middleware-tests"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INTERNAL_IPS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "toolbarproj.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "debug_toolbar",
    "django_bolt",
]
MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOLT_TEST_DATABASE", ":memory:"),
    }
}
# The toolbar turns itself off under a test runner (it sees pytest's environment in
# the server the tests start): these tests are about it being on.
DEBUG_TOOLBAR_CONFIG = {"IS_RUNNING_TESTS": False}
