"""The project package.  Loading the Celery app here lets every app's tasks.py bind to it."""

from agora.celery import app as celery_app

__all__ = ["celery_app"]
