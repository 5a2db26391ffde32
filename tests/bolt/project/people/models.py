from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=50)


class Person(models.Model):
    username = models.CharField(max_length=50, unique=True)
    email = models.EmailField()
    password = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="members")
