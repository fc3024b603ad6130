"""Which publisher sites may show Agora discussions: settings.EMBED_ALLOWED_DOMAINS.

An entry is a host name ("news.example.org", "127.0.0.1"); a leading dot admits the domain
and every subdomain (".example.org"), as in Django's ALLOWED_HOSTS.  The same list decides
which story URLs get a thread and which pages may frame the embed (CSP frame-ancestors).
"""

import re

from django.conf import settings

# Letters, digits and hyphens in dot-separated labels (IPv4 addresses fit too); nothing that
# could smuggle another directive into the Content-Security-Policy header.
_DOMAIN = re.compile(r"^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


def is_valid_entry(entry: str) -> bool:
    return bool(_DOMAIN.match(entry))


def allowed_domains() -> list[str]:
    """The configured entries, lower-cased; malformed ones are ignored (and reported by the check)."""
    entries = (entry.strip().lower() for entry in settings.EMBED_ALLOWED_DOMAINS)
    return [entry for entry in entries if is_valid_entry(entry)]


def host_allowed(host: str) -> bool:
    host = host.lower().rstrip(".")
    for entry in allowed_domains():
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def frame_ancestors() -> str:
    """The CSP directive letting Agora itself and the allowed publishers (any port) frame a page.

    Sources carry no scheme: on an HTTPS Agora only HTTPS pages match, and on plain-HTTP
    development both do.
    """
    sources = ["'self'"]
    for entry in allowed_domains():
        if entry.startswith("."):
            sources += [f"{entry[1:]}:*", f"*{entry}:*"]
        else:
            sources.append(f"{entry}:*")
    return "frame-ancestors " + " ".join(dict.fromkeys(sources))
