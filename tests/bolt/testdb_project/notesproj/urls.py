from django.http import JsonResponse
from django.urls import path

from .models import Note


def count(request):
    """A plain Django view, reached through the server's ASGI adapter."""
    return JsonResponse({"count": Note.objects.count()})


def boom(request):
    return JsonResponse({"ratio": 1 / 0})


urlpatterns = [path("count/", count), path("boom/", boom)]
