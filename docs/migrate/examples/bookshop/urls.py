"""Django's URLs. While an API moves to django-bolt, its DRF and Ninja views keep being served
beside the Bolt routes: every path no Bolt route takes goes to Django."""

import importlib.util

from django.urls import include, path

urlpatterns = []
if importlib.util.find_spec("rest_framework") is not None:
    urlpatterns += [path("drf/", include("from_drf.drf_app"))]
if importlib.util.find_spec("ninja") is not None:
    from from_ninja.ninja_app import api as ninja_api

    urlpatterns += [path("ninja/", ninja_api.urls)]
