from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=100)
    # FloatField keeps the JSON in catalog/api.py simple (no Decimal conversion).
    price = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
