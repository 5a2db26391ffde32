from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "djmwapp", "djmwlisted"]  # noqa: F405
