"""Getting the bytes of a source (a file or an http(s) URL) and telling what they are.

Every failure a person can do something about is raised as IngestError, whose message
names the source and the problem in words ("connection refused", "HTTP 404 Not Found").
"""

import re
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import StrEnum
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, text/html;q=0.9, "
    "application/xml;q=0.8, text/plain;q=0.8, */*;q=0.1"
)
SNIFF_BYTES = 4096
# Control characters other than tab, newline, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)
_HTML_MARKER = re.compile(rb"<(?:!doctype\s+html|html|head|body|article|main|div|p)[\s>]", re.IGNORECASE)
_FEED_TYPES = ("rss", "atom", "rdf")
_FEED_SUFFIXES = {".rss", ".atom", ".rdf", ".xml"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


class IngestError(Exception):
    """A source that cannot be ingested, with a message naming the source and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class Format(StrEnum):
    FEED = "feed"
    HTML = "html"
    TEXT = "text"


@dataclass(frozen=True)
class Fetched:
    """What a source held when it was read."""

    source: str  # as the user gave it, for messages
    data: bytes
    url: str | None = None  # the final URL after redirects; None for a file
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # the server answered 304 to a conditional GET

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.content_type, re.IGNORECASE)
        return match.group(1) if match else None


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in {"http", "https"}


def fetch(source: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """Read a file or GET a URL (conditionally when validators from an earlier fetch are given)."""
    if is_url(source):
        return fetch_url(source, etag=etag, last_modified=last_modified)
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        raise IngestError(source, "only http:// and https:// URLs can be ingested")
    return read_file(source)


def read_file(source: str) -> Fetched:
    path = Path(source)
    if not path.exists():
        raise IngestError(source, "no such file (for a URL, start it with http:// or https://)")
    if not path.is_file():
        raise IngestError(source, "not a regular file")
    size = path.stat().st_size
    if size > settings.INGEST_MAX_BYTES:
        raise IngestError(source, f"too large: {size} bytes, the limit is {settings.INGEST_MAX_BYTES}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(source, f"cannot be read: {exc.strerror or exc}") from exc
    _check_not_empty(source, data, "the file is empty")
    return Fetched(source=source, data=data)


def fetch_url(url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    headers = {"User-Agent": f"{settings.SITE_NAME}-ingest/1.0 (+{settings.SITE_URL})", "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked by is_url()
    try:
        with urllib.request.urlopen(request, timeout=settings.INGEST_HTTP_TIMEOUT) as response:  # noqa: S310 - http(s) only, see is_url()
            data = _read_capped(url, response)
            final_url, info = response.geturl(), response.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(
                source=url, data=b"", url=url, etag=etag, last_modified=last_modified, not_modified=True
            )
        raise IngestError(url, f"the server answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, HTTPException) as exc:
        raise IngestError(url, f"unreachable: {describe_network_error(exc)}") from exc
    _check_not_empty(url, data, "the server sent an empty response")
    return Fetched(
        source=url,
        data=data,
        url=final_url,
        content_type=info.get("Content-Type", ""),
        etag=info.get("ETag"),
        last_modified=info.get("Last-Modified"),
    )


def _read_capped(url: str, response: HTTPResponse) -> bytes:
    """Read at most INGEST_MAX_BYTES, failing early on a declared or actual larger body."""
    limit = settings.INGEST_MAX_BYTES
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise IngestError(url, f"too large: {declared} bytes, the limit is {limit}")
    data = response.read(limit + 1)
    if len(data) > limit:
        raise IngestError(url, f"too large: more than {limit} bytes")
    return data


def describe_network_error(exc: BaseException) -> str:
    """Say in words why a URL could not be reached: refused, DNS, timeout, TLS."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"the host name could not be resolved (DNS: {reason.strerror})"
    if isinstance(reason, TimeoutError):
        return f"timed out after {settings.INGEST_HTTP_TIMEOUT:g} seconds"
    if isinstance(reason, HTTPException):
        return f"the server did not answer in HTTP ({type(reason).__name__})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error ({reason.reason or reason})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason)


def _check_not_empty(source: str, data: bytes, problem: str) -> None:
    if not data.strip():
        raise IngestError(source, problem)


def sniff(fetched: Fetched) -> Format:
    """Feed, HTML or plain text, from the content first, then the declared type or file suffix.

    The content wins because servers and file names are often wrong; the declared type
    decides only when the content does not say (a malformed feed, say).
    """
    head = fetched.data[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if _FEED_ROOT.search(head):
            return Format.FEED
        if _HTML_MARKER.search(head):
            return Format.HTML
    declared = fetched.media_type
    suffix = Path(urlsplit(fetched.url).path if fetched.url else fetched.source).suffix.lower()
    if any(kind in declared for kind in _FEED_TYPES) or suffix in _FEED_SUFFIXES:
        return Format.FEED
    if "html" in declared or suffix in _HTML_SUFFIXES:
        return Format.HTML
    if head.startswith(b"<?xml"):
        return Format.FEED
    return Format.TEXT


def check_text(fetched: Fetched) -> None:
    """Refuse binary data (an image, a PDF, a zip) before any parser sees it."""
    if b"\x00" in fetched.data:
        raise IngestError(fetched.source, "binary data, not text (it contains NUL bytes)")


def decode_text(fetched: Fetched) -> str:
    """The text of a plain-text source: UTF-8, else the declared charset; binary is refused."""
    check_text(fetched)
    for encoding in ("utf-8-sig", fetched.charset):
        if not encoding:
            continue
        try:
            text = fetched.data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if len(_CONTROL.findall(text)) <= len(text) // 100:
            return text
    raise IngestError(fetched.source, "binary data, not text (not decodable as UTF-8)")
