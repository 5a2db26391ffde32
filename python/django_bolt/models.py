"""django-bolt's tables: only the revoked tokens ``DjangoORMRevocation`` keeps (a
project that does not use it never queries it)."""

from django.db import models
from django.utils import timezone


class RevokedTokenQuerySet(models.QuerySet):
    def expired(self) -> models.QuerySet:
        """Rows whose token has expired anyway: safe to delete."""
        return self.filter(expires_at__lte=timezone.now())


class RevokedToken(models.Model):
    """A revoked token id (``jti``), kept until the token would have expired."""

    jti = models.CharField(max_length=255, unique=True)
    revoked_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = RevokedTokenQuerySet.as_manager()

    class Meta:
        app_label = "django_bolt"

    def __str__(self) -> str:
        return self.jti
