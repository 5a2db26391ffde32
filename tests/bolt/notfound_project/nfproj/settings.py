"""A project whose Bolt APIs claim prefixes (``/api``, ``/shop``) next to Django views,
for the tests of which unmatched paths Rust answers 404 (test_not_found.py)."""

from pathlib import Path

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["django.contrib.staticfiles", "django_bolt", "shopapp"]
ROOT_URLCONF = "nfproj.urls"
DATABASES = {}
USE_TZ = True
# Under the /api prefix: Rust serves its files before answering 404 there.
STATIC_URL = "/api/static/"
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static_root"
