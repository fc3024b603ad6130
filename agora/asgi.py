"""The application server's entry point: `uvicorn agora.asgi:application` (`make run`), or in
production `gunicorn agora.asgi:application -k uvicorn_worker.UvicornWorker` (README).

Every request goes through Django's WSGI handler in a pool of APP_THREADS threads (a2wsgi), as under
a threaded WSGI server: middleware, database connections and signals behave exactly as they do there.
A live stream (discussions.live.event_stream) is the one exception: once its view has answered, the
connection comes back here and its events are relayed from the event loop, so thousands of open
streams hold no thread and ordinary pages keep their threads.

Why not Django's own ASGI handler: it runs each request's synchronous middleware and views in a thread
of that request's own (asgiref's ThreadSensitiveContext), kept until the response ends, so every open
stream would still hold a thread, and every page would open a new database connection.
"""

import os

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

from discussions import live

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
# Django types its WSGIHandler as returning an HttpResponseBase, which is the iterable of bytes WSGI wants.
pages = WSGIMiddleware(get_wsgi_application(), workers=settings.APP_THREADS)  # type: ignore[arg-type]


async def application(scope: dict, receive: live.Receive, send: live.Send) -> None:
    if scope["type"] != "http":  # lifespan (and websockets, which Agora does not use)
        await pages(scope, receive, send)  # type: ignore[arg-type]
        return
    live.hub().start()
    hold = live.Hold()
    await pages({**scope, live.HOLD_KEY: hold}, receive, hold.wrap(send))  # type: ignore[arg-type]
    if hold.relaying and hold.stream is not None:
        await live.relay(hold.stream, receive, send)
    elif hold.stream is not None:  # opened, but the response was not the stream (an error)
        live.hub().close(hold.stream)
