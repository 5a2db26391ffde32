from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "namesapp"]  # noqa: F405
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
    }
]
