from django.db import models


class Article(models.Model):
    """A row for the ViewSets of tests/bolt/test_viewsets.py; tests keep theirs apart by
    ``batch``."""

    batch = models.CharField(max_length=40, db_index=True)
    title = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    published = models.BooleanField(default=False)
    views = models.PositiveIntegerField(default=0)
