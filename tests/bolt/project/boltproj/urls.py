import asyncio
import threading
import time

from asgiref.sync import async_to_sync
from django.core.signals import request_finished
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from sessionapp.views import session_login, session_logout


@csrf_exempt
def echo(request):
    return HttpResponse(request.body, content_type="application/octet-stream")


def hello(request):
    return JsonResponse({"from": "django"})


def thread(request):
    """Which thread ran a sync view; `?sleep=` seconds lets tests overlap requests."""
    time.sleep(float(request.GET.get("sleep", 0)))
    return JsonResponse({"thread": threading.current_thread().name})


async def async_thread(request):
    return JsonResponse({"thread": threading.current_thread().name})


def stream(request):
    response = StreamingHttpResponse((f"part {i}\n" for i in range(3)), content_type="text/plain")
    response.set_cookie("streamed", "yes")
    return response


async def _current_thread() -> str:
    return threading.current_thread().name


def bridged_thread(request):
    """A sync view that awaits a coroutine through asgiref: where did it run?"""
    return JsonResponse(
        {"view": threading.current_thread().name, "coroutine": async_to_sync(_current_thread)()}
    )


#: Requests Django saw finish (`request_finished`: the response was closed).
finished = {"count": 0}
request_finished.connect(lambda **_: finished.update(count=finished["count"] + 1), weak=False)


def endless(request):
    """A stream its client gives up on (async: Django reads a sync iterator whole)."""

    async def parts():
        while True:
            yield "tick\n"
            await asyncio.sleep(0.05)

    return StreamingHttpResponse(parts(), content_type="text/plain")


def finished_count(request):
    return JsonResponse(finished)


def request_id(request):
    return JsonResponse({"request_id": request.META.get("HTTP_X_REQUEST_ID")})


urlpatterns = [
    path("django/request-id", request_id),
    path("django/echo", echo),
    path("django/hello", hello),
    path("django/thread", thread),
    path("django/async-thread", async_thread),
    path("django/stream", stream),
    path("django/bridged-thread", bridged_thread),
    path("django/endless", endless),
    path("django/finished", finished_count),
    path("django/login", session_login),
    path("django/logout", session_logout),
]
