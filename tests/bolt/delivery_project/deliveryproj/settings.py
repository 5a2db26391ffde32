"""A project serving files and compressed responses, for tests over real sockets."""

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django_bolt"]
DATABASES = {}
USE_TZ = True
