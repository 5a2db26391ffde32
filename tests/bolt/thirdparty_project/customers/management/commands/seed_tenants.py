"""Two tenants with notes of their own: ``alpha`` at alpha.test, ``beta`` at beta.test
(and the public schema at public.test)."""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context
from notes.models import Note

from customers.models import Client, Domain

NOTES = {"alpha": ["a1", "a2"], "beta": ["b1", "b2", "b3"]}


class Command(BaseCommand):
    def handle(self, *args, **options):
        for schema in ("public", *NOTES):
            tenant = Client.objects.create(schema_name=schema)
            Domain.objects.create(domain=f"{schema}.test", tenant=tenant, is_primary=True)
        for schema, texts in NOTES.items():
            with schema_context(schema):
                Note.objects.bulk_create(Note(text=text) for text in texts)
