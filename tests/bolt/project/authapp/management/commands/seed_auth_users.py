"""Users the auth tests log in as: one of each kind the guards tell apart."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand

PASSWORD = "auth-tests-password-1"


class Command(BaseCommand):
    help = "Create the auth tests' users (idempotent)."

    def handle(self, *args, **options):
        users = get_user_model()
        ann = self.user(users, "ann")
        self.user(users, "sam", is_staff=True)
        self.user(users, "root", is_staff=True, is_superuser=True)
        self.user(users, "gone", is_active=False)
        rita = self.user(users, "rita")
        ann.user_permissions.set([])
        rita.user_permissions.set([self.permission("reports", "view")])

    def user(self, users, username, **flags):
        user, _ = users.objects.update_or_create(username=username, defaults=flags)
        user.set_password(PASSWORD)
        user.save()
        return user

    def permission(self, app_label, codename):
        kind, _ = ContentType.objects.get_or_create(app_label=app_label, model="report")
        permission, _ = Permission.objects.get_or_create(
            content_type=kind, codename=codename, defaults={"name": f"Can {codename}"}
        )
        return permission
