"""A django-tenants project on the PostgreSQL server a test started (tests/postgres.py,
port in BOLT_PG_PORT): tenants in ``customers`` (public schema), notes per tenant
(tests/bolt/test_third_party_middleware.py)."""

import os

SECRET_KEY = "third-party-middleware-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tenantsproj.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SHARED_APPS = [
    "django_tenants",
    "customers",
    "probe",
    "plainprobe",
    "django.contrib.contenttypes",
    "django_bolt",
]
TENANT_APPS = ["notes"]
INSTALLED_APPS = [*SHARED_APPS, *[app for app in TENANT_APPS if app not in SHARED_APPS]]
TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"

MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware"]

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("BOLT_PG_PORT", "5432"),
        "CONN_MAX_AGE": float(os.environ.get("BOLT_CONN_MAX_AGE", "0")),
        "OPTIONS": {"connect_timeout": 2},
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
