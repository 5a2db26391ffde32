"""Static and media files served from Rust (tests/bolt/test_static_files.py): the folders
are temporary ones the test makes and names in the environment."""

import os

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.staticfiles", "staticapp"]  # noqa: F405
STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("BOLT_TEST_STATIC_ROOT")
_dirs = os.environ.get("BOLT_TEST_STATICFILES_DIR")
STATICFILES_DIRS = [_dirs, ("vendor", os.path.join(_dirs, "vendor"))] if _dirs else []
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("BOLT_TEST_MEDIA_ROOT", "")
BOLT_SERVE_MEDIA = True
