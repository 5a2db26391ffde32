from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "jwtapp"]  # noqa: F405
CSRF_TRUSTED_ORIGINS = ["https://*.trusted.test"]
