"""A small project whose tests (``checks_*.py``) use TestClient inside Django's
``TestCase`` and pytest-django's ``db`` fixture; test_testclient_database.py runs them in
a child process on a copy."""
