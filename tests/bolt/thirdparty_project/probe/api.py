"""Routes behind Django middleware other than the tenant middleware: what schema the
thread's connection is on when they run after a tenant's request."""

from django.db import connection

from django_bolt import BoltAPI, Request

api = BoltAPI(prefix="/probe", django_middleware=["django.middleware.common.CommonMiddleware"])


@api.get("/schema")
def stack_schema(request: Request):
    return {"schema": connection.schema_name}
