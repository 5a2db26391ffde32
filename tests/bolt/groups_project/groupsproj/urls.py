"""A plain (sync) Django view broadcasting to a group."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from django_bolt.groups import broadcast_sync


@csrf_exempt
def django_broadcast(request, group):
    broadcast_sync(group, request.body.decode())
    return JsonResponse({"sent": group})


urlpatterns = [path("django/broadcast/<str:group>", django_broadcast)]
