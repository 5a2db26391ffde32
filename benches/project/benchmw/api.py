"""The ``bolt-django-mw`` scenario: the ``bolt`` scenario's route behind the project's
default Django ``MIDDLEWARE`` (security, sessions, common, CSRF, auth, messages,
clickjacking), as ``BoltAPI(django_middleware=True)`` runs it."""

from django_bolt import BoltAPI

api = BoltAPI(prefix="/mw", django_middleware=True)


@api.get("/")
async def hello():
    return {"message": "hello"}
