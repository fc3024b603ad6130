"""Plain-text wire copy: the heuristics one by one, then whole stories through the command."""

from pathlib import Path

import pytest
from django.conf import settings

from articles.ingest.sources import IngestError
from articles.ingest.wire import parse_wire, peel_glued_captions, split_sentences
from articles.models import Article
from articles.reading import count_words, reading_minutes
from articles.services import reader_texts
from articles.tests.ingest_support import fixture, ingest

SEED = Path(settings.BASE_DIR).parent / "shared" / "seed" / "article-page.txt"
SEED_CAPTIONS = [
    "Turkey backs some rebel groups in Idlib and has lost 16 military personnel this month in clashes "
    "with Syrian forces",
    "Map of Syria showing northwestern Idlib province where the Russian-backed regime offensive and "
    "bombardment has displaced nearly 900,000 people since December.",
]


def kinds(data_blocks: list) -> list[str]:
    return [block.kind for block in data_blocks]


def texts(article: Article, kind: str) -> list[str]:
    return [b.caption if kind == "figure" else b.text for b in article.blocks.filter(kind=kind)]


def body_text(article: Article) -> str:
    return " ".join(reader_texts(article, list(article.blocks.all())))


# --- Heuristics ---------------------------------------------------------------------------


def test_headline_is_first_non_empty_line_and_read_time_is_dropped() -> None:
    for read_time in ("·3-min read", "3 min read", "Reading time: 4 minutes"):
        data = parse_wire(
            f"\n\n  Ferry sails again  \n{read_time}\n\nThe ferry sailed on Monday.\n", "copy.txt"
        )
        assert data.headline == "Ferry sails again"
        assert [b.text for b in data.blocks] == ["The ferry sailed on Monday."]


def test_subhead_on_its_own_line_splits_paragraphs() -> None:
    data = parse_wire("Headline\n\nFirst paragraph here.\n- A new chapter -\nSecond paragraph here.\n", "x")
    assert [(b.kind, b.text) for b in data.blocks] == [
        ("paragraph", "First paragraph here."),
        ("subhead", "A new chapter"),
        ("paragraph", "Second paragraph here."),
    ]


def test_inline_subhead_in_flattened_text() -> None:
    data = parse_wire(
        'Headline\n\nHe said it was "a crisis." - Open a corridor - In May the talks began.', "x"
    )
    assert [(b.kind, b.text) for b in data.blocks] == [
        ("paragraph", 'He said it was "a crisis."'),
        ("subhead", "Open a corridor"),
        ("paragraph", "In May the talks began."),
    ]


def test_the_first_sentence_becomes_the_standfirst_and_leaves_the_body() -> None:
    data = parse_wire(
        "Headline\n\nLISBON (AFP) - The harbour reopened on Monday after a week of repairs to the quay. "
        "Ferries sailed at dawn.\n\nTrade resumed.",
        "x",
    )
    assert data.standfirst == "The harbour reopened on Monday after a week of repairs to the quay."
    assert [b.text for b in data.blocks] == ["Ferries sailed at dawn.", "Trade resumed."]


def test_a_short_first_sentence_or_a_one_sentence_body_stays_in_the_body() -> None:
    assert parse_wire("Headline\n\nThe port reopened.\n\nTrade resumed.", "x").standfirst == ""
    lone = parse_wire("Headline\n\nThe harbour reopened on Monday after a week of repairs to the quay.", "x")
    assert lone.standfirst == ""
    assert len(lone.blocks) == 1


@pytest.mark.parametrize(
    ("copy", "agency"),
    [
        ("Headline\n\nFirst paragraph here.\n- A new chapter -\nSecond paragraph here.\n", "AFP"),
        ("Headline\n\nDAMASCUS (Reuters) - Talks began.\n", "Reuters"),
        ("Headline\n\nTalks began on Monday.\n", ""),
    ],
)
def test_agency_from_dateline_or_house_style(copy: str, agency: str) -> None:
    assert parse_wire(copy, "x").source == agency


def test_double_hyphen_dashes_are_not_subheads() -> None:
    data = parse_wire("Headline\n\nPeople -- many of them children -- fled. Aid - some of it - came.", "x")
    assert kinds(data.blocks) == ["paragraph"]


def test_hard_wrapped_lines_are_one_paragraph() -> None:
    data = parse_wire("Headline\n\nCrews worked in shifts\nthrough the winter to rebuild\nthe pier.\n", "x")
    assert [b.text for b in data.blocks] == ["Crews worked in shifts through the winter to rebuild the pier."]


def test_lines_that_each_end_a_sentence_are_paragraphs() -> None:
    data = parse_wire("Headline\nOne sentence here.\nAnother one there.\n", "x")
    assert [b.text for b in data.blocks] == ["One sentence here.", "Another one there."]


def test_glued_captions_are_peeled_off_the_last_paragraph() -> None:
    body, captions = peel_glued_captions(
        "The siege ended on Monday. Rebels hold the northern ridge above the town "
        "Map of the valley showing the front line."
    )
    assert body == "The siege ended on Monday."
    assert captions == [
        "Rebels hold the northern ridge above the town",
        "Map of the valley showing the front line.",
    ]


def test_prose_ending_in_a_sentence_keeps_its_last_sentence() -> None:
    body, captions = peel_glued_captions('The siege ended on Monday. "It is over," Gen. Ruiz said.')
    assert captions == []
    assert body.endswith("Gen. Ruiz said.")


@pytest.mark.parametrize(
    "caption",
    [
        "Photo: Crowds on the quay at dawn.",
        "Graphic showing the rise in rents since 2015.",
        "Dockers at work",
    ],
)
def test_trailing_caption_paragraphs_become_figures(caption: str) -> None:
    data = parse_wire(f"Headline\n\nThe port reopened on Monday.\n\n{caption}\n", "x")
    assert kinds(data.blocks) == ["paragraph", "figure"]
    assert data.blocks[1].caption == caption


@pytest.mark.parametrize(
    "footer",
    [
        "Comments are closed on this article.",
        "We have temporarily suspended commenting while we improve our tools",
        "Sign up for our daily newsletter",
        "Read more: the port's long decline",
        "© 2024 Example Media. All rights reserved.",
        "Copyright 2024 Example Media",
        "(Reporting by Ana Lind; Editing by Tom Ray)",
    ],
)
def test_trailing_boilerplate_is_dropped(footer: str) -> None:
    data = parse_wire(f"Headline\n\nThe port reopened on Monday.\n\n{footer}\n", "x")
    assert [b.text for b in data.blocks] == ["The port reopened on Monday."]


def test_footer_glued_onto_the_last_paragraph_is_dropped() -> None:
    data = parse_wire(
        "Headline\n\nThe port reopened on Monday. Comments are closed. Sign up for our newsletter.", "x"
    )
    assert [b.text for b in data.blocks] == ["The port reopened on Monday."]


def test_news_about_comment_is_not_boilerplate() -> None:
    data = parse_wire("Headline\n\nThe port reopened on Monday.\n\nThe owners declined to comment.", "x")
    assert [b.text for b in data.blocks][-1] == "The owners declined to comment."


def test_sentences_do_not_end_inside_quotes_or_after_abbreviations() -> None:
    text = (
        '"We will stay. We will rebuild," the mayor said. Gen. Sorel arrived on Dec. 12 with J. F. Brek. '
        "The U.S. envoy followed. Talks resume today."
    )
    assert split_sentences(text) == [
        '"We will stay. We will rebuild," the mayor said.',
        "Gen. Sorel arrived on Dec. 12 with J. F. Brek.",
        "The U.S. envoy followed.",
        "Talks resume today.",
    ]


def test_long_flattened_paragraph_is_regrouped_by_three_sentences() -> None:
    sentence = "The council met again on Monday to discuss the budget for the new harbour wall."
    data = parse_wire("Headline\n\n" + " ".join([sentence] * 8), "x")
    assert data.standfirst == sentence
    assert [b.text.count(".") for b in data.blocks] == [3, 3, 1]


def test_short_paragraphs_are_left_alone() -> None:
    data = parse_wire("Headline\n\nOne. Two. Three. Four. Five. Six.", "x")
    assert len(data.blocks) == 1


def test_agency_from_dateline_byline_or_agency_line() -> None:
    assert parse_wire("H\n\nOSLO (Reuters) - Talks began.", "x").source == "Reuters"
    by = parse_wire("H\nBy Ana Lind and Tom de Vries, AFP\n\nTalks began.", "x")
    assert (by.byline, by.source) == ("Ana Lind and Tom de Vries", "AFP")
    assert parse_wire("H\nAssociated Press\n\nTalks began.", "x").source == "AP"
    assert parse_wire("H\n\nTalks began.", "x").source == ""


def test_a_sentence_starting_with_by_is_not_a_byline() -> None:
    data = parse_wire("H\nBy the time the rebels arrived the city had fallen\n\nMore followed.", "x")
    assert data.byline == ""
    assert data.blocks[0].text.startswith("By the time")


def test_copy_without_body_is_refused() -> None:
    with pytest.raises(IngestError, match="no body text under the headline"):
        parse_wire("Just a headline\n\n3 min read\n", "copy.txt")


def test_a_flattened_file_without_a_headline_line_is_refused() -> None:
    with pytest.raises(IngestError, match="first line should be the headline"):
        parse_wire("word " * 100, "copy.txt")


# --- Whole stories through the command ----------------------------------------------------


def assert_flattened_story(article: Article, headline: str, subhead: str, captions: list[str]) -> None:
    """The shape the seed page and our own flattened fixture share."""
    assert article.headline == headline
    assert article.origin == Article.Origin.WIRE
    assert texts(article, "subhead") == [subhead]
    assert texts(article, "figure") == captions
    assert all(not b.image_url for b in article.blocks.filter(kind="figure"))
    paragraphs = texts(article, "paragraph")
    assert len(paragraphs) >= 4, "a flattened body is regrouped into readable paragraphs"
    assert all(caption not in " ".join(paragraphs) for caption in captions)
    assert "comment" not in body_text(article).lower()
    assert "min read" not in body_text(article)
    kinds_in_order = list(article.blocks.values_list("kind", flat=True))
    assert kinds_in_order[-2:] == ["figure", "figure"]
    words = count_words(reader_texts(article, list(article.blocks.all())))
    assert article.reading_minutes == reading_minutes(words)


@pytest.mark.django_db
def test_seed_page() -> None:
    if not SEED.exists():
        pytest.skip(f"the seed page is not available at {SEED}")
    out, _ = ingest(SEED)
    article = Article.objects.get()
    assert_flattened_story(
        article,
        "Erdogan urges Putin to restrain Syria regime in Idlib",
        "Establish 'safe zone'",
        SEED_CAPTIONS,
    )
    assert article.reading_minutes == 3
    assert article.source == "AFP", "AFP's dash-delimited subheads credit it"
    assert article.standfirst.startswith("Turkish President Recep Tayyip Erdogan on Friday urged")
    assert "Our goal is to create" not in body_text(article)
    assert out.startswith("created: Erdogan urges Putin")


@pytest.mark.django_db
def test_own_flattened_story_with_inline_subhead_captions_and_footer() -> None:
    ingest(fixture("wire-flattened.txt"))
    article = Article.objects.get()
    assert_flattened_story(
        article,
        "Flood barrier talks stall as river town braces for spring melt",
        "Barrier costs double",
        [
            "Volunteers fill sandbags in the main square of Castel Verra as the town prepares for the "
            "spring melt",
            "Map of the Verra valley showing the lower town, the planned barrier and the villages where "
            "pumps and boats have been positioned.",
        ],
    )
    assert article.reading_minutes == 2, "recomputed from the body, not the '9-min read' line"
    assert "respectful place" not in body_text(article)
    paragraphs = texts(article, "paragraph")
    assert any("Gen. Anika Sorel" in p for p in paragraphs), "no paragraph break after 'Gen.'"
    assert any('"Temporary walls buy time. They do not buy safety.' in p for p in paragraphs)


@pytest.mark.django_db
def test_multi_paragraph_story_with_captions_footer_and_agency() -> None:
    ingest(fixture("wire-paragraphs.txt"))
    article = Article.objects.get()
    assert (article.byline, article.source) == ("Saskia Dalen", "AFP")
    assert texts(article, "subhead") == ["Pier rebuilt in record time"]
    assert texts(article, "figure") == [
        "Photo: The night ferry leaves Port Auren shortly before midnight",
        "Passengers queue to board the ferry on the rebuilt pier",
    ]
    assert article.standfirst == (
        "The night ferry linking Port Auren to the outer islands sailed again on Thursday for the first "
        "time in six weeks, after repairs to a pier wrecked by a winter storm."
    ), "the first sentence, without its dateline, is the standfirst"
    paragraphs = texts(article, "paragraph")
    assert len(paragraphs) == 4, "the standfirst's paragraph is not repeated in the body"
    assert paragraphs[2].startswith(
        "Crews worked in shifts through the coldest weeks of the year to rebuild the pier,"
    )
    assert "newsletter" not in body_text(article)
    assert "rights reserved" not in body_text(article)


@pytest.mark.django_db
def test_source_option_overrides_the_agency_in_the_copy() -> None:
    ingest(fixture("wire-paragraphs.txt"), "--source", "Reuters")
    assert Article.objects.get().source == "Reuters"


@pytest.mark.django_db
def test_wire_copy_from_a_file_is_updated_not_duplicated() -> None:
    ingest(fixture("wire-flattened.txt"))
    first = Article.objects.get()
    out, _ = ingest(fixture("wire-flattened.txt"), status="draft")
    article = Article.objects.get()
    assert article.pk == first.pk
    assert article.status == Article.Status.DRAFT
    assert out.startswith("updated: Flood barrier talks stall")
