"""The client's address (TRUSTED_PROXIES) and the per-address posting limit every way of posting applies."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from agora.client_address import client_address
from api.models import ApiToken
from api.tests.conftest import API, bearer
from discussions.models import Comment, Thread
from discussions.tests.conftest import make_user
from embed.tests.conftest import STORY, open_story

PROXY = "10.0.0.5"


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address("203.0.113.1", "198.51.100.9") == "203.0.113.1"


def test_from_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = [PROXY, "192.168.0.0/16"]
    assert address(PROXY, "198.51.100.9") == "198.51.100.9"
    # A client's own X-Forwarded-For is kept on the left: never believed.
    assert address(PROXY, "1.2.3.4, 198.51.100.9") == "198.51.100.9"
    # Through two proxies of ours (a CDN range, then the load balancer).
    assert address(PROXY, "1.2.3.4, 198.51.100.9, 192.168.4.4") == "198.51.100.9"
    assert address(PROXY, "2001:db8::7") == "2001:db8::7"


def test_a_request_not_from_a_trusted_proxy_keeps_its_own_address(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    assert address("203.0.113.1", "198.51.100.9") == "203.0.113.1"


def test_garbage_or_a_missing_header_never_becomes_the_address(settings):
    settings.TRUSTED_PROXIES = [PROXY, "192.168.0.0/16"]
    assert address(PROXY, "not-an-address") == PROXY
    assert address(PROXY, "not-an-address, 192.168.4.4") == "192.168.4.4"
    assert address(PROXY) == PROXY
    assert address(PROXY, "192.168.4.4") == "192.168.4.4"  # every hop is ours: the request began inside


def test_a_bad_trusted_proxies_setting_is_a_clear_error(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.300"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        address(PROXY)


# --- The per-address posting limit (MODERATION_IP_RATE_LIMIT), applied by every way of posting ----------


@pytest.fixture
def ip_limit_of_two(settings):
    settings.MODERATION_IP_RATE_LIMIT = 2
    settings.TRUSTED_PROXIES = [PROXY]


def site_post(user, thread, body: str, forwarded: str, path: str = "/discussions") -> int:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    client.force_login(user)
    return client.post(f"{path}/threads/{thread.pk}/post/", {"body": body}).status_code


def embed_post(user, thread, body: str, forwarded: str) -> int:
    """The same reader posting from the publisher page's iframe, on the embedded thread of that story."""
    open_story(Client())
    return site_post(user, Thread.objects.get(url=STORY), body, forwarded, path="/embed/discussions")


def api_post(user, thread, body: str, forwarded: str) -> int:
    _, key = ApiToken.issue(user)
    client = Client(headers=bearer(key), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    url = f"{API}/threads/{thread.pk}/comments"
    return client.post(url, {"body": body}, content_type="application/json").status_code


@pytest.mark.django_db
@pytest.mark.usefixtures("ip_limit_of_two")
@pytest.mark.parametrize(
    ("post", "posted"), [(site_post, 302), (embed_post, 302), (api_post, 201)], ids=["site", "embed", "api"]
)
def test_one_address_posting_as_several_readers_is_limited(post, posted, thread):
    readers = [make_user(f"reader{i}") for i in range(3)]
    statuses = [
        post(reader, thread, f"Comment {i} from one address", "198.51.100.9")
        for i, reader in enumerate(readers)
    ]
    assert statuses == [posted, posted, 429]
    assert Comment.objects.count() == 2
    # Another reader behind the same proxy, from another address, is not limited by them.
    assert post(make_user("elsewhere"), thread, "From elsewhere", "198.51.100.10") == posted
    assert Comment.objects.count() == 3
