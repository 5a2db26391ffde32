from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def echo(request):
    return HttpResponse(request.body, content_type="application/octet-stream")


def hello(request):
    return JsonResponse({"from": "django"})


urlpatterns = [path("django/echo", echo), path("django/hello", hello)]
