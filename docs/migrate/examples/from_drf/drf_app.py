"""The bookshop API in Django REST Framework: the "before" side of docs/migrate/drf.md."""

from django.urls import path
from rest_framework import generics, pagination, permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.views import obtain_auth_token

from books.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "author", "year"]
        extra_kwargs = {"year": {"min_value": 0, "max_value": 2100}}


class BookPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class BookViewMixin:
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    authentication_classes = [TokenAuthentication]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]


class BookList(BookViewMixin, generics.ListCreateAPIView):
    pagination_class = BookPagination

    def get_queryset(self):
        author = self.request.query_params.get("author")
        books = super().get_queryset()
        return books.filter(author=author) if author else books


class BookDetail(BookViewMixin, generics.RetrieveUpdateDestroyAPIView):
    pass


urlpatterns = [
    path("token", obtain_auth_token),
    path("books", BookList.as_view()),
    path("books/<int:pk>", BookDetail.as_view()),
]
