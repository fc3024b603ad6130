"""Ingested wire copy, as a reader sees it in Chromium: headline, reading time, subhead, captions."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from articles.models import Article
from tests.browser.plugin import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = Path(settings.BASE_DIR).parent / "shared" / "seed" / "article-page.txt"
OWN_FIXTURE = Path(settings.BASE_DIR) / "articles" / "tests" / "fixtures" / "ingest" / "wire-flattened.txt"


def open_ingested(page, live_server, source: Path) -> Article:
    call_command("ingest", str(source), verbosity=0)
    article = Article.objects.get()
    page.goto(live_server.url + article.get_absolute_url())
    return article


def test_seed_page_reads_as_on_the_wire(live_server, page):
    if not SEED.exists():
        pytest.skip(f"the seed page is not available at {SEED}")
    open_ingested(page, live_server, SEED)
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Erdogan urges Putin to restrain Syria regime in Idlib"
    )
    assert page.locator(".story__meta .read-time").inner_text() == "3-min read"
    subheads = page.locator(".story__body h2.subhead")
    assert subheads.all_inner_texts() == ["Establish 'safe zone'"]
    captions = page.locator(".story__body figcaption").all_inner_texts()
    assert len(captions) == 2
    assert captions[0].startswith("Turkey backs some rebel groups in Idlib")
    assert captions[1].startswith("Map of Syria showing northwestern Idlib province")
    assert "suspending article commenting" not in page.locator("article.story").inner_text()
    screenshot(page, "seed-article")


def test_own_wire_fixture_of_the_same_shape(live_server, page):
    article = open_ingested(page, live_server, OWN_FIXTURE)
    assert page.get_by_role("heading", level=1).inner_text() == article.headline
    assert page.locator(".story__meta .read-time").inner_text() == f"{article.reading_minutes}-min read"
    assert page.locator(".story__body h2.subhead").count() == 1
    assert page.locator(".story__body figcaption").count() == 2
    screenshot(page, "wire-fixture-article")
