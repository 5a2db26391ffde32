from django.urls import re_path

from .views import everything

urlpatterns = [re_path(r"^", everything)]
