"""Django's views: one under the /shop prefix (which keeps /shop from being owned), one
at /apix (beside /api, not under it), the Bolt routes' names, and the home page."""

from django.urls import include, path

from .views import django_view

urlpatterns = [
    path("", django_view),
    path("shop/legacy/", django_view),
    path("apix/page", django_view),
    path("pages/<slug:name>/", django_view),
    path("", include("django_bolt.urls")),
]
