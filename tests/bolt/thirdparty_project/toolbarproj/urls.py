from debug_toolbar.toolbar import debug_toolbar_urls
from django.http import HttpResponse
from django.urls import path


def page(request):
    """A Django view's HTML page, to compare with the Bolt route's."""
    return HttpResponse("<html><body><p>from django</p></body></html>")


urlpatterns = [path("django/page", page), *debug_toolbar_urls()]
