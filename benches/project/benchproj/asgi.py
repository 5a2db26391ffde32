"""ASGI entry point of the benchmark project."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproj.settings")

application = get_asgi_application()
