from django.http import JsonResponse
from django.urls import path


def hello(request):
    return JsonResponse({"message": "hello"})


urlpatterns = [path("django", hello)]
