"""Run by tests/bolt/test_third_party_middleware.py in a process of its own (Django set
up for tenantsproj): the tenant routes through TestClient, one line of JSON out."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenantsproj.settings")
django.setup()

from django.db import connection  # noqa: E402
from notes.api import api  # noqa: E402

from django_bolt.testing import TestClient  # noqa: E402

# As a test of django-tenants' TenantTestCase: the test's thread is on a tenant of its
# own, which the requests' tenants (run on this thread) must not replace.
connection.set_schema("beta")
seen = {}
with TestClient(api, raise_server_exceptions=False) as client:
    for host in ("alpha.test", "beta.test", "nowhere.test"):
        for kind in ("sync", "async", "depends"):
            response = client.get(f"/notes/{kind}", headers={"Host": host})
            body = response.json() if response.status_code == 200 else None
            seen[f"{host} {kind}"] = [response.status_code, body]
seen["schema after"] = connection.schema_name
json.dump(seen, sys.stdout)
