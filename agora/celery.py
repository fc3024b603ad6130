"""The background task engine: Celery, configured from Django's settings (the CELERY_* names).

Workers run `celery -A agora worker`; the scheduler (one per deployment) runs `celery -A agora beat`
with the schedule in settings.CELERY_BEAT_SCHEDULE; `make run` starts a worker with an embedded
scheduler beside runserver (Procfile.dev), production runs them from the Procfile (README,
"Production").  Tasks live in each app's tasks.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")

app = Celery("agora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
