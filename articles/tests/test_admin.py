"""Editors write articles in the Django admin, with body blocks inline and a preview."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from articles.models import Article, Section, Topic

pytestmark = pytest.mark.django_db

# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture
def editor_client(client):
    editor = User.objects.create_user("editor", password="editor-pass-123", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def block(i, kind, text="", **extra):
    fields = {
        "position": i,
        "kind": kind,
        "text": text,
        "image_url": "",
        "alt_text": "",
        "caption": "",
        "credit": "",
    }
    fields.update(extra)
    return {f"blocks-{i}-{key}": value for key, value in fields.items()}


def empty_inline(prefix: str) -> dict[str, int]:
    return {f"{prefix}-{key}": value for key, value in [("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0)]}


def article_form(section, *blocks, **overrides):
    data = {
        "headline": "Council approves the harbour plan",
        "slug": "council-approves-harbour-plan",
        "standfirst": "The vote was close.",
        "byline": "Ada Reporter",
        "source": "",
        "section": section.pk,
        "status": "draft",
        "published_at_0": "2026-11-20",
        "published_at_1": "10:00:00",
        "comment_policy": "open",
        "canonical_url": "",
        "feed_guid": "",
        "blocks-TOTAL_FORMS": len(blocks),
        "blocks-INITIAL_FORMS": 0,
        "blocks-MIN_NUM_FORMS": 0,
        "blocks-MAX_NUM_FORMS": 1000,
        **empty_inline("articletopic_set"),
        **empty_inline("topic_exclusions"),
    }
    for b in blocks:
        data.update(b)
    data.update(overrides)
    return data


def test_editors_group_can_manage_articles():
    perms = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"add_article", "change_article", "add_articleblock", "change_section", "add_topic"} <= perms


def test_editor_writes_an_article_with_body_figure_upload_and_preview(editor_client):
    section = Section.objects.create(name="Local", slug="local")
    figure = block(2, "figure", caption="The harbour at dawn", alt_text="Boats in a harbour", credit="Agora")
    figure["blocks-2-image"] = SimpleUploadedFile("harbour.png", PNG, content_type="image/png")
    data = article_form(
        section,
        block(0, "paragraph", "word " * 500),
        block(1, "subhead", "What happens next"),
        figure,
    )
    response = editor_client.post("/admin/articles/article/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get()
    assert article.reading_minutes == 3  # 4 + 500 + 3 + 4 words
    assert article.blocks.count() == 3
    assert article.lead_image_src.startswith("/media/figures/")
    preview = editor_client.get(f"/preview/{article.pk}/").content.decode()
    assert "Council approves the harbour plan" in preview and "What happens next" in preview
    assert "<figcaption>The harbour at dawn" in preview
    change_page = editor_client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert f"/preview/{article.pk}/" in change_page


def test_admin_rejects_a_figure_without_alt_text(editor_client):
    section = Section.objects.create(name="Local", slug="local")
    data = article_form(section, block(0, "figure", image_url="https://img.example/a.jpg", caption="A"))
    response = editor_client.post("/admin/articles/article/add/", data)
    assert response.status_code == 200
    assert "Describe the image" in response.content.decode()
    assert Article.objects.count() == 0


def test_admin_refuses_svg_uploads(editor_client):
    section = Section.objects.create(name="Local", slug="local")
    figure = block(0, "figure", caption="A", alt_text="A map")
    figure["blocks-0-image"] = SimpleUploadedFile("map.svg", b"<svg/>", content_type="image/svg+xml")
    response = editor_client.post("/admin/articles/article/add/", article_form(section, figure))
    assert response.status_code == 200
    assert "File extension “svg” is not allowed" in response.content.decode()
    assert Article.objects.count() == 0


def test_readers_cannot_reach_the_admin(client):
    client.force_login(User.objects.create_user("reader", password="reader-pass-123"))
    assert client.get("/admin/articles/article/add/").status_code == 302


def test_editors_add_and_remove_an_articles_topics_and_extraction_respects_them(editor_client):
    section = Section.objects.create(name="World", slug="world")
    text = "Syria and Turkey agreed to reopen the crossing into Idlib. Syria confirmed the deal for Idlib."
    data = article_form(section, block(0, "paragraph", text), headline="Syria and Turkey reopen crossing")
    assert editor_client.post("/admin/articles/article/add/", data).status_code == 302
    article = Article.objects.get()
    links = {link.topic.name: link for link in article.articletopic_set.select_related("topic")}
    assert {"Syria", "Turkey", "Idlib"} <= set(links)
    turkey, elections = links["Turkey"], Topic.objects.create(name="Elections", slug="elections")
    # The change form: delete the Turkey row, add Elections; the body stays as it was.
    change = article_form(section, headline="Syria and Turkey reopen crossing", **{"blocks-INITIAL_FORMS": 0})
    change.update(
        {
            "blocks-TOTAL_FORMS": 0,
            "articletopic_set-TOTAL_FORMS": 2,
            "articletopic_set-INITIAL_FORMS": 1,
            "articletopic_set-0-id": turkey.pk,
            "articletopic_set-0-article": article.pk,
            "articletopic_set-0-topic": turkey.topic_id,
            "articletopic_set-0-DELETE": "on",
            "articletopic_set-1-article": article.pk,
            "articletopic_set-1-topic": elections.pk,
        }
    )
    response = editor_client.post(f"/admin/articles/article/{article.pk}/change/", change)
    assert response.status_code == 302, response.content.decode()[:3000]
    names = dict(article.articletopic_set.values_list("topic__name", "origin"))
    assert "Turkey" not in names, "removed by the editor, and the save's extraction kept it off"
    assert names["Elections"] == "editor" and names["Syria"] == "extracted"
    assert article.topic_exclusions.get().topic == turkey.topic
