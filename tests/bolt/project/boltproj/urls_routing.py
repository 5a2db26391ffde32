"""The project's URLs with the Bolt routes' names (django_bolt.urls), and a view that
reverses a name, so tests see Django's reverse() in the served process."""

from django.http import JsonResponse
from django.urls import NoReverseMatch, include, path, reverse

from .urls import urlpatterns as project_urlpatterns


def reversed_url(request, name):
    kwargs = {key: value for key, value in request.GET.items()}
    try:
        return JsonResponse({"url": reverse(name, kwargs=kwargs)})
    except NoReverseMatch as exc:
        return JsonResponse({"error": str(exc)}, status=404)


urlpatterns = [
    *project_urlpatterns,
    path("reverse/<str:name>", reversed_url),
    path("", include("django_bolt.urls")),
]
