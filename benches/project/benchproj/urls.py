from django.http import JsonResponse
from django.urls import path

from . import drf_views
from .ninja_api import api as ninja_api


def hello(request):
    return JsonResponse({"message": "hello"})


urlpatterns = [
    path("django", hello),
    path("ninja/", ninja_api.urls),
    path("drf/items", drf_views.ItemCreate.as_view()),
    path("drf/items/<int:item_id>", drf_views.ItemDetail.as_view()),
]
