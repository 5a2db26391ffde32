"""WSGI entry point of the benchmark project (Granian's WSGI scenario)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproj.settings")

application = get_wsgi_application()
