"""Django views that log in and out with Django's own ``login``/``logout``: the
sessions the Bolt routes of ``api.py`` read."""

import json

from django.contrib.auth import authenticate, login, logout
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def session_login(request):
    credentials = json.loads(request.body)
    user = authenticate(request, **credentials)
    if user is None:
        return JsonResponse({"detail": "Invalid credentials"}, status=401)
    login(request, user)
    # login() rotates the CSRF token; CsrfViewMiddleware sets its cookie.
    return JsonResponse({"csrftoken": get_token(request)})


@csrf_exempt
@require_POST
def session_logout(request):
    logout(request)
    return JsonResponse({"logged_out": True})
