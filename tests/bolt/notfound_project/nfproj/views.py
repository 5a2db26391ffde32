from django.http import HttpResponse, JsonResponse


def django_view(request, *args, **kwargs):
    return JsonResponse({"from": "django", "path": request.path})


async def mounted(scope, receive, send):
    """An ASGI app mounted under the /api prefix."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"mounted"})


def everything(request, *args, **kwargs):
    return HttpResponse("caught", content_type="text/plain")
