"""A small project for testing Bolt routes through a real runbolt process."""

import os

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_bolt",
    "people",
    "catalog",
    "depsapp",
    "authapp",
    "pagesapp",
    "sessionapp",
    "viewsetsapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "boltproj.urls"
# A test that queries models migrates a database of its own and names it here.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOLT_TEST_DATABASE", ":memory:"),
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# JWTAuthentication()'s secret (else SECRET_KEY), long enough for HS512.
BOLT_JWT_SECRET = "tests-only-jwt-secret-" + "x" * 48
# Keys APIKeyAuthentication() accepts when it is given none (tests/bolt/test_auth.py).
BOLT_API_KEYS = ["tests-api-key-1"]
