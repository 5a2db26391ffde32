from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "requestapp"]  # noqa: F405
# 127.0.0.1: the tests' own clients; the rest for the host tests.
ALLOWED_HOSTS = ["127.0.0.1", "api.test", ".example.org"]
