"""The API framework scenarios' two endpoints in Django REST framework, routed at /drf/
by urls.py: APIViews validating with Serializers, served over WSGI."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class ItemQuerySerializer(serializers.Serializer):
    q = serializers.CharField()
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)


class VariantSerializer(serializers.Serializer):
    sku = serializers.CharField()
    stock = serializers.IntegerField(min_value=0)


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    price = serializers.FloatField(min_value=0)
    quantity = serializers.IntegerField(min_value=0)
    tags = serializers.ListField(child=serializers.CharField())
    variants = VariantSerializer(many=True)


class ItemDetail(APIView):
    def get(self, request, item_id):
        query = ItemQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response({"item_id": item_id, **query.validated_data})


class ItemCreate(APIView):
    def post(self, request):
        item = ItemSerializer(data=request.data)
        item.is_valid(raise_exception=True)
        return Response(item.data)
