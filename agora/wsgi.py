"""WSGI entry point (gunicorn agora.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from agora import warmup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
application = get_wsgi_application()
warmup.settle()
