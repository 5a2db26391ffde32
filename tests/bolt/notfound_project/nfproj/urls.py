"""Django's views: one at /api/legacy/ (below the owned /api: that path stays Django's),
one whose pattern could match anywhere under /shop (which keeps /shop from being owned),
one at /apix (beside /api, not under it), the Bolt routes' names, and the home page."""

from django.urls import include, path

from .views import django_view

urlpatterns = [
    path("", django_view),
    path("api/legacy/", django_view),
    path("shop/<slug:name>/legacy/", django_view),
    path("apix/page", django_view),
    path("pages/<slug:name>/", django_view),
    path("", include("django_bolt.urls")),
]
