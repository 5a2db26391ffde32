"""Run by tests/bolt/test_third_party_middleware.py in a process of its own (Django set
up for toolbarproj): toolbar_checks through TestClient, Django's URLs through its ASGI
app. Exits non-zero, saying why, when a check fails."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolbarproj.settings")
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from toolbar_checks import exercise  # noqa: E402
from toolbarproj.api import api  # noqa: E402

from django_bolt.testing import TestClient  # noqa: E402

with TestClient(api, asgi=get_asgi_application(), raise_server_exceptions=False) as client:

    def get(path: str):
        response = client.get(path)
        return response.status_code, dict(response.headers), response.text

    exercise(get)
print("ok")
