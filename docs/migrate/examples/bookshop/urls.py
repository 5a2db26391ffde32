"""Django's URLs: the admin-free example needs none. The DRF and Ninja "before" apps
are mounted by their own tests (see from_drf/ and from_ninja/)."""

urlpatterns: list = []
