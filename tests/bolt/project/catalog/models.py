"""Related models for the serializer tests: foreign keys, many-to-many, reverse
relations and a self-referencing tree."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField()
    pages = models.PositiveIntegerField(default=100)
    status = models.CharField(
        max_length=10, choices=[("draft", "Draft"), ("out", "Published")], default="draft"
    )
    author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)
    tags = models.ManyToManyField(Tag, related_name="books", blank=True)


class Review(models.Model):
    book = models.ForeignKey(Book, related_name="reviews", on_delete=models.CASCADE)
    reviewer = models.ForeignKey(Author, related_name="reviews", on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField()


class Category(models.Model):
    name = models.CharField(max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, related_name="children", on_delete=models.CASCADE
    )
