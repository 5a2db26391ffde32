from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "deployapp"]  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "api.example.com"]
