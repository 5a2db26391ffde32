from django.db import models


class Note(models.Model):
    """A row of one tenant's schema."""

    text = models.CharField(max_length=100)
