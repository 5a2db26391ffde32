"""Class-based views: ``APIView`` (the methods of one path, ``@api.view``) and
``ViewSet`` (a collection and its objects, ``api.viewset``), with the mixins of the
standard actions and ``ModelViewSet``/``ReadOnlyModelViewSet`` made of them.

- ``_apiview``: ``APIView`` and the routes of ``@api.view``;
- ``_viewset``: ``ViewSet``, its queryset, object lookup and serializers;
- ``_mixins``: the six standard actions and the two usual sets of them;
- ``_routes``: the routes of ``api.viewset``, ``@action`` methods included;
- ``_binding``: a method as a handler, on a new instance per request.
"""

from ._apiview import APIView
from ._mixins import (
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
)
from ._viewset import ViewSet

__all__ = [
    "APIView",
    "CreateMixin",
    "DestroyMixin",
    "ListMixin",
    "ModelViewSet",
    "PartialUpdateMixin",
    "ReadOnlyModelViewSet",
    "RetrieveMixin",
    "UpdateMixin",
    "ViewSet",
]
