import os

SECRET_KEY = "testdb-project-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_bolt",
    "notesproj",
]
ROOT_URLCONF = "notesproj.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # Tests run on Django's test database (in memory); this file is never written.
        "NAME": os.environ.get("NOTES_DATABASE", ":memory:"),
    }
}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
