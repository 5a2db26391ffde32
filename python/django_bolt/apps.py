from django.apps import AppConfig


class DjangoBoltConfig(AppConfig):
    name = "django_bolt"
    # Fixed, so that the migration of RevokedToken holds whatever a project's default.
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "django-bolt"
