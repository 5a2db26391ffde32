from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "routingapp"]  # noqa: F405
ROOT_URLCONF = "boltproj.urls_routing"
