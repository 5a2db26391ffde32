"""Minimal Django settings for ``channels_app``: no database, an in-memory channel
layer, the URLconf in ``channels_app`` itself."""

SECRET_KEY = "conformance-tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "channels_app"
DATABASES: dict = {}
USE_TZ = True
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
