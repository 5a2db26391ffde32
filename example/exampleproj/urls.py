"""URLs served by Django (through ASGI). Bolt routes live in the `api.py` modules."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import path


def hello(request):
    return JsonResponse({"hello": "from django"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("hello/", hello),
]
