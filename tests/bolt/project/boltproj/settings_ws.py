from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "wsapp"]  # noqa: F405
# The tests' clients only: a handshake for another host is refused.
ALLOWED_HOSTS = ["127.0.0.1"]
