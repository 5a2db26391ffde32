"""Settings of the migration guides' example project (docs/migrate/).

DRF and Django Ninja are only needed by the "before" side of their guides: they are
installed apps when they are importable, and the django-bolt side never needs them.
"""

import importlib.util
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bookshop-example-key-not-secret-change-me")
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_bolt",
    "books",
]
if importlib.util.find_spec("rest_framework") is not None:
    INSTALLED_APPS += ["rest_framework", "rest_framework.authtoken"]

ROOT_URLCONF = "bookshop.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BOOKSHOP_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
