"""A route without Django middleware in the tenants project: its sync handler runs on
the sync pool, whose connections no tenant middleware ever set."""

from django.db import connection

from django_bolt import BoltAPI, Request

api = BoltAPI(prefix="/plain")


@api.get("/schema")
def plain_schema(request: Request):
    return {"schema": connection.schema_name}
