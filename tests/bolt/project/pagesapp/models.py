from django.db import models


class Entry(models.Model):
    """A row to page through; tests keep theirs apart by ``batch``."""

    batch = models.CharField(max_length=40, db_index=True)
    title = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    team = models.ForeignKey("people.Team", null=True, on_delete=models.SET_NULL)
