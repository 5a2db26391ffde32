from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "dupapp"]  # noqa: F405
