from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "compatapp"]  # noqa: F405
