"""What `python manage.py runbolt` serves: one guide's django-bolt API, chosen with
`BOOKSHOP_GUIDE=from_fastapi|from_drf|from_ninja|from_bolt|from_original` (default
from_fastapi)."""

import importlib
import os

api = importlib.import_module(f"{os.environ.get('BOOKSHOP_GUIDE', 'from_fastapi')}.api").api
