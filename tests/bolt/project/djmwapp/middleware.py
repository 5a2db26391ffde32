"""Project middleware that Bolt routes run through ``django_middleware=``."""

import json

from asgiref.sync import markcoroutinefunction
from django.http import HttpResponse, HttpResponseRedirect


class TagMiddleware:
    """Sets request attributes, then adds a header and a cookie to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = "acme"
        response = self.get_response(request)
        response["X-Tag"] = "seen"
        response["X-Secure"] = str(request.is_secure())
        response["X-Remote"] = request.META.get("REMOTE_ADDR", "")
        response.set_cookie("tagged", "yes")
        return response


class GateMiddleware:
    """Answers itself, without the view: ``?gate=deny`` (403) or ``?gate=away`` (302)."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)  # as Django's docs ask of async-only middleware

    async def __call__(self, request):
        gate = request.GET.get("gate")
        if gate == "deny":
            body = json.dumps({"detail": "gate closed"})
            return HttpResponse(body, status=403, content_type="application/json")
        if gate == "away":
            return HttpResponseRedirect("/elsewhere")
        return await self.get_response(request)
