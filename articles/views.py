"""Public pages of the newsroom.  Reading never needs JavaScript."""

import json

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from agora.page_cache import cache_public_page
from articles import selectors
from articles.models import Article, Section, Topic

SEARCH_PAGE_SIZE = 20
LISTING_QUERY = ("before",)  # what a listing page reads of its query: the cursor of an older page


HOME_LATEST = 12


@cache_public_page(query=LISTING_QUERY)
def home(request: HttpRequest) -> HttpResponse:
    """The lead (pinned by editors, else the newest), the latest stories, then each section's newest
    of the rest: no story appears twice."""
    before = request.GET.get("before")
    lead = None if before else selectors.pinned_lead()
    latest = Article.objects.published().exclude(pk=lead.pk) if lead else Article.objects.published()
    page = selectors.latest_page(latest, before, size=HOME_LATEST - (1 if lead else 0))
    if lead:
        page.items.insert(0, lead)
    shown = [article.pk for article in page.items]
    section_rows = []
    if not before:
        sections = selectors.sections()
        by_section = selectors.latest_by_section(sections, per_section=4, exclude=shown)
        section_rows = [(s, by_section[s.pk]) for s in sections if s.pk in by_section]
        shown += [article.pk for _, items in section_rows for article in items]
    context = {"page": page, "section_rows": section_rows, "is_first_page": not before, "shown": shown}
    return render(request, "articles/home.html", context)


@cache_public_page(query=LISTING_QUERY)
def section(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Section, slug=slug)
    page = selectors.latest_page(
        Article.objects.published().filter(section=section), request.GET.get("before")
    )
    return render(request, "articles/section.html", {"section": section, "page": page})


@cache_public_page(query=LISTING_QUERY)
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic.objects.select_related("merged_into"), slug=slug)
    if topic.merged_into is not None:
        return redirect(topic.merged_into, permanent=True)
    page = selectors.latest_page(Article.objects.published().filter(topics=topic), request.GET.get("before"))
    context = {"topic": topic, "page": page, "related_topics": selectors.related_topics(topic)}
    return render(request, "articles/topic.html", context)


@cache_public_page(query=("letter",))
def topics(request: HttpRequest) -> HttpResponse:
    letter = request.GET.get("letter", "").lower()
    letter = letter if len(letter) == 1 and letter.isascii() and letter.isalnum() else ""
    letters = "abcdefghijklmnopqrstuvwxyz"
    context = {"groups": selectors.topic_index(letter), "letter": letter, "letters": letters}
    return render(request, "articles/topics.html", context)


def _render_article(request: HttpRequest, article: Article, preview: bool = False) -> HttpResponse:
    canonical = article.canonical_url or request.build_absolute_uri(article.get_absolute_url())
    topics = selectors.topics_of(article)
    context = {
        "article": article,
        "blocks": list(article.blocks.all()),
        "topics": topics,
        "related": selectors.related_articles(article),
        "canonical": canonical,
        "json_ld": news_article_json_ld(request, article, canonical, topics),
        "preview": preview,
    }
    return render(request, "articles/article.html", context)


def article_page_scope(slug: str) -> str:
    """The cache scope of an article page: its discussion bumps it (discussions.services)."""
    return f"article:{slug}"


# The discussion's sort and cursor (discussions.templatetags.discussions.thread_context).
@cache_public_page(scope=article_page_scope, query=("sort", "comments_after"))
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_page(slug)
    if article is None:
        raise Http404("No published article has this address.")
    return _render_article(request, article)


@staff_member_required
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """How a draft (or any article) will look to readers; staff only, never cached."""
    slug = get_object_or_404(Article.objects.only("slug"), pk=pk).slug
    article = selectors.article_for_page(slug, include_drafts=True)
    assert article is not None
    response = _render_article(request, article, preview=True)
    response["X-Robots-Tag"] = "noindex"
    return response


@cache_public_page(query=("q", "page"))
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page_number = min(page_number, 50)
    offset = (page_number - 1) * SEARCH_PAGE_SIZE
    results = selectors.search_articles(query, limit=SEARCH_PAGE_SIZE + 1, offset=offset) if query else []
    context = {
        "query": query,
        "results": results[:SEARCH_PAGE_SIZE],
        "page_number": page_number,
        "has_next": len(results) > SEARCH_PAGE_SIZE,
    }
    return render(request, "articles/search.html", context)


def news_article_json_ld(request: HttpRequest, article: Article, canonical: str, topics: list[Topic]) -> str:
    """schema.org NewsArticle for search engines, escaped for a <script> element."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline[:110],
        "description": article.standfirst,
        "datePublished": article.published_at,
        "dateModified": article.updated_at,
        "mainEntityOfPage": canonical,
        "articleSection": article.section.name,
        "wordCount": article.word_count,
        "timeRequired": f"PT{article.reading_minutes}M",
        "keywords": [t.name for t in topics],
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
    }
    if article.byline:
        data["author"] = [{"@type": "Person", "name": article.byline}]
    elif article.source:
        data["author"] = [{"@type": "Organization", "name": article.source}]
    if article.lead_image_src:
        data["image"] = [request.build_absolute_uri(article.lead_image_src)]
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    # Same escaping as Django's json_script: nothing in the data can close the <script>.
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
