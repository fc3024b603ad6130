"""The demo newsroom that `make run` loads: real rows through `load_demo`, real pages."""

import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import escape

from articles import selectors
from articles.management.commands.load_demo import FIGURE_DIR, NEWSROOM_FILE
from articles.models import Article, ArticleBlock, ArticleTopic, Section, Topic
from articles.reading import count_words
from articles.tests.conftest import build_article

NEWSROOM = json.loads(NEWSROOM_FILE.read_text(encoding="utf-8"))
DEMO_SLUGS = [item["slug"] for item in NEWSROOM["articles"]]
SVG = "{http://www.w3.org/2000/svg}"


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", "--newsroom-only", *args, stdout=out)  # the community: moderation/tests
    return out.getvalue().strip()


def demo_articles():
    return Article.objects.filter(slug__in=DEMO_SLUGS)


def figures(article: Article) -> list[ArticleBlock]:
    return [b for b in article.blocks.all() if b.kind == ArticleBlock.Kind.FIGURE]


@pytest.mark.django_db
def test_loads_six_sections_and_twenty_published_articles():
    assert load() == "Demo newsroom: 6 sections, 20 articles (20 created, 0 updated, 0 kept as they were)."

    assert [s.slug for s in Section.objects.all()] == [
        "world",
        "politics",
        "business",
        "science",
        "climate",
        "culture",
    ]
    assert all(s.description for s in Section.objects.all())
    assert Article.objects.count() == 20
    assert demo_articles().published().count() == 20
    assert all(Section.objects.get(slug=slug).articles.exists() for slug in ["world", "culture", "science"])


@pytest.mark.django_db
def test_second_run_keeps_what_editors_changed():
    load()
    Article.objects.filter(slug=DEMO_SLUGS[0]).update(headline="Edited by hand")
    assert load() == "Demo newsroom: 6 sections, 20 articles (0 created, 0 updated, 20 kept as they were)."
    assert Article.objects.get(slug=DEMO_SLUGS[0]).headline == "Edited by hand"
    assert Article.objects.count() == 20


@pytest.mark.django_db
def test_refresh_restores_the_demo_in_place():
    load()
    ids = dict(demo_articles().values_list("slug", "pk"))
    counts = (Section.objects.count(), Topic.objects.count(), Article.objects.count())
    blocks = ArticleBlock.objects.count()
    Article.objects.filter(slug=DEMO_SLUGS[0]).update(headline="Edited by hand", standfirst="")

    assert (
        load("--refresh")
        == "Demo newsroom: 6 sections, 20 articles (0 created, 20 updated, 0 kept as they were)."
    )

    assert dict(demo_articles().values_list("slug", "pk")) == ids
    assert (Section.objects.count(), Topic.objects.count(), Article.objects.count()) == counts
    assert ArticleBlock.objects.count() == blocks
    restored = Article.objects.get(slug=DEMO_SLUGS[0])
    assert restored.headline == NEWSROOM["articles"][0]["headline"]
    assert restored.standfirst == NEWSROOM["articles"][0]["standfirst"]


@pytest.mark.django_db
def test_leaves_editors_articles_and_sections_alone():
    culture = Section.objects.create(
        name="Culture", slug="culture", description="Our arts pages.", position=9
    )
    own = build_article("Harbour talks resume", section="world", topics=("Energy",), hours_ago=0.1)
    before = (own.headline, own.standfirst, own.updated_at, list(own.blocks.values_list("text", flat=True)))
    topics_before = sorted(t.name for t in own.topics.all())

    load()
    load()

    own.refresh_from_db()
    assert (
        own.headline,
        own.standfirst,
        own.updated_at,
        list(own.blocks.values_list("text", flat=True)),
    ) == (before)
    assert sorted(t.name for t in own.topics.all()) == topics_before
    assert "Energy" in topics_before
    culture.refresh_from_db()
    assert (culture.description, culture.position) == ("Our arts pages.", 9)
    assert Article.objects.count() == 21


@pytest.mark.django_db
def test_every_article_has_a_described_figure():
    load()
    for article in demo_articles().prefetch_related("blocks"):
        figs = figures(article)
        assert 1 <= len(figs) <= 2, article.slug
        for fig in figs:
            assert fig.image_url and fig.alt_text.strip() and fig.caption.strip() and fig.credit.strip()
            assert fig.alt_text != fig.caption
            fig.full_clean(exclude=["article"])
        assert article.lead_image_src == figs[0].image_url
        assert article.lead_image_alt == figs[0].alt_text


@pytest.mark.django_db
def test_figures_are_small_accessible_svgs_in_app_static():
    load()
    used = set()
    urls = ArticleBlock.objects.filter(kind=ArticleBlock.Kind.FIGURE).values_list("image_url", flat=True)
    for url in urls:
        assert url.startswith(settings.STATIC_URL)
        relative = url.removeprefix(settings.STATIC_URL)
        found = finders.find(relative)
        assert found, url
        path = Path(found)
        assert path.parent == FIGURE_DIR
        used.add(path.name)
    assert len(used) >= 10
    svgs = sorted(FIGURE_DIR.glob("*.svg"))
    assert {p.name for p in svgs} == used, "every demo SVG is used, and only those"
    for path in svgs:
        assert path.stat().st_size < 10 * 1024, path.name
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox") == "0 0 800 450"
        title = root.find(f"{SVG}title")
        assert title is not None and len(title.text.strip()) > 20, path.name
        assert "<script" not in path.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_reading_times_spread_from_one_to_four_minutes():
    load()
    minutes = Counter(demo_articles().values_list("reading_minutes", flat=True))
    assert set(minutes) == {1, 2, 3, 4}
    for article in demo_articles().prefetch_related("blocks"):
        body = [b.text for b in article.blocks.all() if b.kind != ArticleBlock.Kind.FIGURE]
        assert 100 <= count_words(body) <= 900, article.slug


@pytest.mark.django_db
def test_topics_are_shared_so_related_articles_mean_something():
    load()
    per_topic = Counter()
    for article in demo_articles():
        chosen = article.articletopic_set.filter(origin=ArticleTopic.Origin.EDITOR)  # extraction adds more
        names = list(chosen.values_list("topic__name", flat=True))
        assert 2 <= len(names) <= 5, article.slug
        per_topic.update(names)
    assert len(per_topic) >= 15
    lonely = [name for name, n in per_topic.items() if n < 2]
    assert not lonely, f"topics used by only one demo article: {lonely}"

    for article in demo_articles().prefetch_related("topics"):
        mine = {t.pk for t in article.topics.all()}
        related = selectors.related_articles(article)
        assert related, article.slug
        assert set(related[0].topics.values_list("pk", flat=True)) & mine, article.slug


@pytest.mark.django_db
def test_dates_look_current_and_never_updated():
    load()
    load()
    newest, oldest = demo_articles().first(), demo_articles().last()
    now = timezone.now()
    assert now - newest.published_at < timedelta(hours=2)
    assert now - oldest.published_at < timedelta(days=4)
    assert not any(a.was_updated for a in demo_articles())


@pytest.mark.django_db
def test_home_page_leads_with_the_newest_demo_article(client):
    load()
    newest = demo_articles().published().first()

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert escape(newest.headline) in html
    assert newest.lead_image_src in html
    for section in Section.objects.all():
        assert escape(section.name) in html


@pytest.mark.django_db
def test_every_demo_article_page_renders_its_figures(client):
    load()
    for article in demo_articles().prefetch_related("blocks"):
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200, article.slug
        html = response.content.decode()
        for fig in figures(article):
            assert f'src="{fig.image_url}"' in html
            assert escape(fig.alt_text) in html
            assert escape(fig.caption) in html


@pytest.mark.django_db
def test_topic_page_lists_every_article_on_the_topic(client):
    load()
    topic = Topic.objects.get(slug="port-alder")
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    for article in topic.articles.all():
        assert escape(article.headline) in response.content.decode()


@pytest.mark.django_db
def test_demo_topics_are_typed_and_their_other_names_filed_under_them():
    load()
    kinds = dict(Topic.objects.values_list("name", "kind"))
    assert kinds["Port Alder"] == kinds["Kessel Gate"] == Topic.Kind.PLACE
    assert kinds["National Assembly"] == Topic.Kind.ORGANISATION
    assert "Veskari" not in kinds and "Arts and culture" not in kinds, "aliases of Veskar and Arts"
    assert not [name for name, kind in kinds.items() if name in {"Monday", "Friday"}]
