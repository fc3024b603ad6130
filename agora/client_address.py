"""The client's address, for rate limits and caps: REMOTE_ADDR, or what a trusted proxy says it is.

Behind reverse proxies, REMOTE_ADDR is the nearest proxy's address, and every reader would share
its limits.  Each proxy appends the address it received the request from to X-Forwarded-For; only
the entries our own proxies appended can be believed (a client can send any X-Forwarded-For it
likes).  So, when REMOTE_ADDR is one of TRUSTED_PROXIES, the header is read from the right, past
every trusted proxy, and the first address that is not one is the client.  Without TRUSTED_PROXIES
(the default) the header is ignored.
"""

from functools import cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

UNKNOWN = "unknown"


@cache
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    """TRUSTED_PROXIES as networks: addresses ("10.0.0.5") or ranges ("10.0.0.0/8")."""
    try:
        return tuple(ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None


def _is_trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address the request came from (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR", "") or UNKNOWN
    networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    address = remote
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            # An entry that is no address at all was not written by a proxy of ours: the client
            # is then the last one we trust, never a string the client chose.
            return hop if _is_address(hop) else address
        address = hop
    return address  # every hop is one of ours: the request started inside


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True
