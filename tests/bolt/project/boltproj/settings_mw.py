from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "mwapp"]  # noqa: F405
