from django.contrib.contenttypes.models import ContentType
from django.http import JsonResponse
from django.urls import path

from . import drf_views
from .ninja_api import api as ninja_api


def hello(request):
    return JsonResponse({"message": "hello"})


def row(request):
    """One indexed row from the database (`migrate` fills the content types)."""
    found = ContentType.objects.filter(app_label="auth", model="user")
    return JsonResponse(found.values("id", "app_label", "model").get())


urlpatterns = [
    path("django", hello),
    path("django/row", row),
    path("ninja/", ninja_api.urls),
    path("drf/items", drf_views.ItemCreate.as_view()),
    path("drf/items/<int:item_id>", drf_views.ItemDetail.as_view()),
]
