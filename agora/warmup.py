"""Ready a web process before it takes requests: load what its first requests would, then freeze it.

Measured on bench/discussions.py's posting load (16 connections, 2 gunicorn workers), two stalls made
a post's p99 150-300 ms while its p50 was 40-60:

- a fresh worker took 0.7-1 s over its first post, importing every view through the URLconf and
  reading the toxicity model, and every request queued behind it in that worker waited as long;
- Python's full garbage collection walked the 240,000 objects a worker holds once ready (Django, the
  apps, the model) in about 150 ms, a few seconds into the load and again whenever enough new
  objects had survived, stalling that worker's queue each time.

So the entry points (agora.wsgi, agora.asgi) call `settle` once, before the server hands the process
any request: it loads those parts, then moves everything that exists at that point (and lives as long
as the process) to the permanent generation, which collections skip (`gc.freeze`; Python's docs
recommend it for servers).  Collections then walk only what requests create.
"""

import gc
import time

from django.urls import get_resolver

from moderation.classifier import get_model


def settle() -> float:
    """Import the views, load the classifier, collect start-up's garbage and freeze the rest; seconds."""
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 (reading the patterns imports the views)
    get_model()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started
