"""Topics extracted from articles' text: the seed page, normalisation, editors' choices, curation."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from articles import selectors, services, tasks
from articles.ingest.pipeline import Ingestor, Options
from articles.models import Article, ArticleTopic, RelatedArticle, Topic, TopicAlias, TopicExclusion
from articles.services import ArticleData, BlockData, upsert_article
from articles.tests.conftest import build_article, chosen_topics
from articles.tests.ingest_support import fixture, ingest
from articles.topics.aliases import alias_key, shipped_table
from articles.topics.evaluation import evaluate, read_labelled
from articles.topics.extraction import Extractor, article_segments
from articles.topics.model_check import check_model

SEED = Path(settings.BASE_DIR).parent / "shared" / "seed" / "article-page.txt"
SEED_TOPICS = [
    "Recep Tayyip Erdogan",
    "Vladimir Putin",
    "Syria",
    "Idlib",
    "Turkey",
    "Russia",
    "Emmanuel Macron",
    "Angela Merkel",
    "European Union",
    "Bashar al-Assad",
]


def extract(headline: str, *paragraphs: str, standfirst: str = "") -> dict[str, tuple[str, float]]:
    found = Extractor(shipped_table()).extract(article_segments(headline, standfirst, paragraphs))
    return {t.name: (t.kind, t.salience) for t in found}


def topic_names(article: Article) -> list[str]:
    return sorted(article.topics.values_list("name", flat=True))


def story(headline: str, *paragraphs: str, **extra: object) -> Article:
    data = ArticleData(
        headline=headline,
        blocks=[BlockData("paragraph", text) for text in paragraphs],
        section_slug="world",
        **extra,  # type: ignore[arg-type]
    )
    return upsert_article(data)[0]


# --- Extraction ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_page_topics() -> None:
    if not SEED.exists():
        pytest.skip(f"the seed page is not available at {SEED}")
    ingest(SEED)
    article = Article.objects.get()
    names = topic_names(article)
    assert set(SEED_TOPICS) <= set(names), set(SEED_TOPICS) - set(names)
    assert "Friday" not in names and "Thursday" not in names
    kinds = dict(article.topics.values_list("name", "kind"))
    assert kinds["Recep Tayyip Erdogan"] == kinds["Angela Merkel"] == Topic.Kind.PERSON
    assert kinds["Idlib"] == kinds["Turkey"] == Topic.Kind.PLACE
    assert kinds["European Union"] == Topic.Kind.ORGANISATION
    links = ArticleTopic.objects.filter(article=article).select_related("topic")
    salience = {link.topic.name: link.salience for link in links}
    assert max(salience.values()) == 1.0
    assert salience["Syria"] > salience["Angela Merkel"], "the story is about Syria; Merkel is named once"


def test_names_are_normalised_through_the_alias_table() -> None:
    found = extract(
        "Erdogan meets EU envoys",
        "Turkish President Recep Tayyip Erdogan met envoys of the European Union in Ankara on Friday.",
        "Erdogan told the EU delegation that Turkey would keep its border open. Erdoğan's aides agreed.",
    )
    assert found["Recep Tayyip Erdogan"][0] == "person"
    assert found["European Union"][0] == "organisation"
    assert "Turkey" in found, "the demonym Turkish counts for Turkey"
    assert not {"Erdogan", "Erdoğan", "EU", "Friday", "Turkish"} & set(found)


def test_a_surname_joins_the_full_name_used_in_the_same_article() -> None:
    found = extract(
        "Harbour plan approved",
        "Harbour master Ilse Vandermeer said the new quay would open in spring.",
        "Vandermeer added that the old pier would close. Vandermeer will retire next year.",
    )
    assert "Ilse Vandermeer" in found
    assert "Vandermeer" not in found


def test_dates_numbers_and_datelines_are_never_topics() -> None:
    found = extract(
        "Talks resume in Lisbon",
        "LISBON — Negotiators met on Thursday in Lisbon for the third time since January.",
        "They will meet again in Lisbon on Friday, 14 March, officials said.",
    )
    assert "Lisbon" in found
    assert not {"Thursday", "Friday", "January", "14 March", "third", "LISBON"} & set(found)


def test_subjects_come_from_the_vocabulary_and_not_from_inside_names() -> None:
    found = extract(
        "Refugees flee as ceasefire collapses",
        "Thousands of refugees crossed the border after the ceasefire collapsed, aid workers said.",
        "The Bank of England was not involved.",
    )
    assert found["Refugees and migration"][0] == "subject"
    assert found["Ceasefire"][0] == "subject"
    assert "Banking" not in found, "'Bank' inside the name Bank of England is not the subject"


def test_a_subject_phrase_inside_a_longer_one_counts_only_as_the_longer() -> None:
    found = extract(
        "Air strikes hit a market in Idlib",
        "Air strikes hit the market on Tuesday, aid workers said.",
        "Aid workers said the air strike was the third this week.",
    )
    assert found["Military"][0] == "subject" and found["Humanitarian crisis"][0] == "subject"
    assert "Jobs" not in found, "'strikes' in 'air strikes' and 'workers' in 'aid workers' are not jobs"
    found = extract("Rail workers strike over wages", "Workers walked out in a strike over wages.")
    assert found["Jobs"][0] == "subject"


def test_hand_labelled_articles_are_extracted_well() -> None:
    """A floor under the figures `manage.py evaluate_topics` prints (see its output for the real ones)."""
    labelled = read_labelled()
    report = evaluate(Extractor(shipped_table()), [a for a in labelled if a["set"] == "held-out"])
    assert len(report.articles) >= 8
    assert report.precision() >= 0.75 and report.recall() >= 0.5


def test_evaluate_command_prints_precision_and_recall() -> None:
    out = StringIO()
    call_command("evaluate_topics", stdout=out)
    text = out.getvalue()
    assert "== development:" in text and "== held-out:" in text and "== all:" in text
    assert "precision 0." in text and "recall 0." in text


def test_the_installed_model_is_the_pinned_one_as_its_meta_describes() -> None:
    assert check_model() == []


# --- Storing topics -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_extracted_topics_are_stored_typed_with_salience_beside_chosen_ones() -> None:
    article = story(
        "Syria and Turkey agree to reopen the Idlib crossing",
        "Syria and Turkey agreed on Monday to reopen the crossing into Idlib for aid convoys.",
        "Turkey said the crossing would open within a week. Syria confirmed the deal.",
        topics=["Crossings"],
    )
    links = {
        link.topic.name: link for link in ArticleTopic.objects.filter(article=article).select_related("topic")
    }
    assert {"Syria", "Turkey", "Idlib", "Crossings"} <= set(links)
    assert links["Crossings"].origin == ArticleTopic.Origin.EDITOR
    assert links["Syria"].origin == ArticleTopic.Origin.EXTRACTED
    assert links["Syria"].topic.kind == Topic.Kind.PLACE
    assert 0 < links["Idlib"].salience <= 1
    assert Topic.objects.get(name="Syria").article_count == 1


@pytest.mark.django_db
def test_extraction_reuses_topics_under_their_aliases_and_merges() -> None:
    first = story("EU ministers meet", "EU ministers met in Brussels. The EU agreed a statement.")
    second = story(
        "European Union budget", "The European Union agreed its budget. The European Union said so."
    )
    assert "European Union" in topic_names(first) and "European Union" in topic_names(second)
    assert Topic.objects.filter(slug=alias_key("European Union")).count() == 1
    assert not Topic.objects.filter(name="EU").exists()


@pytest.mark.django_db
def test_an_editors_alias_files_new_mentions_under_the_topic() -> None:
    harbour = Topic.objects.create(name="Port Alder harbour works", slug="port-alder-harbour-works")
    TopicAlias.objects.create(topic=harbour, name="Quay Twelve")
    article = story(
        "Quay Twelve reopens",
        "Quay Twelve reopened on Monday after repairs, the harbour office said.",
        "Ships berthed at Quay Twelve by noon.",
    )
    assert "Port Alder harbour works" in topic_names(article)
    assert "Quay Twelve" not in topic_names(article)


@pytest.mark.django_db
def test_a_topic_an_editor_removed_never_comes_back_and_a_chosen_one_stays() -> None:
    article = story("Syria talks", "Syria's neighbours met in Amman. Syria sent a delegation.")
    syria = Topic.objects.get(name="Syria")
    elections = Topic.objects.create(name="Elections", slug="elections")
    services.editor_topics_changed(article, added=[elections], removed_ids=[syria.pk])
    services.refresh_derived_fields(article)  # a save in the admin re-extracts
    assert "Syria" not in topic_names(article)
    assert "Elections" in topic_names(article)
    assert TopicExclusion.objects.filter(article=article, topic=syria).exists()
    services.editor_topics_changed(article, added=[syria], removed_ids=[])
    assert "Syria" in chosen_topics(article)
    assert not TopicExclusion.objects.filter(article=article, topic=syria).exists()


@pytest.mark.django_db
def test_without_extraction_only_chosen_topics_are_linked(settings) -> None:
    settings.TOPIC_EXTRACTION = False
    article = story(
        "Syria talks", "Syria's neighbours met in Amman. Syria sent a delegation.", topics=["Talks"]
    )
    assert topic_names(article) == ["Talks"]


# --- Editors' curation --------------------------------------------------------------------------


@pytest.mark.django_db
def test_merging_moves_articles_and_aliases_and_redirects(client) -> None:
    article = build_article("Ankara statement", topics=("Erdogan (old)",))
    old = Topic.objects.get(name="Erdogan (old)")
    TopicAlias.objects.create(topic=old, name="Tayyip")
    target = Topic.objects.create(name="Recep Tayyip Erdogan (editors)", slug="recep-tayyip-erdogan-editors")
    services.merge_topic(old, target)
    old.refresh_from_db()
    assert old.merged_into == target
    assert target in article.topics.all() and old not in article.topics.all()
    assert set(target.aliases.values_list("name", flat=True)) == {"Tayyip", "Erdogan (old)"}
    response = client.get(old.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == target.get_absolute_url()
    assert services.get_or_create_topics(["Erdogan (old)"]) == [target]


@pytest.mark.django_db
def test_renaming_keeps_the_old_name_as_an_alias() -> None:
    topic = Topic.objects.create(name="Tessaly basin", slug="tessaly-basin")
    renamed = services.rename_topic(topic, "Tessaly Basin region")
    assert (renamed.name, renamed.slug) == ("Tessaly Basin region", "tessaly-basin-region")
    assert services.get_or_create_topics(["Tessaly basin"]) == [renamed]


# --- Related articles, stored -------------------------------------------------------------------


@pytest.mark.django_db
def test_related_articles_are_stored_when_articles_are_stored_and_weighted_by_shared_topics() -> None:
    first = build_article("First story", topics=("Ports", "Trade", "Weather"))
    close = build_article("Close story", topics=("Ports", "Trade", "Weather"), section="business")
    loose = build_article("Loose story", topics=("Weather",), section="business")
    assert RelatedArticle.objects.filter(article=first).exists(), "computed on save, not per request"
    assert selectors.related_articles(first)[:2] == [close, loose]
    assert close in selectors.related_articles(loose)
    assert first in [r.related for r in RelatedArticle.objects.filter(article=close)], "offered both ways"


def test_a_place_brings_the_country_it_is_in() -> None:
    found = extract(
        "Aid convoy reaches Idlib",
        "A convoy of forty lorries reached Idlib on Monday, aid workers said.",
        "The lorries crossed into Idlib from the north.",
    )
    assert found["Idlib"][0] == found["Syria"][0] == "place"
    assert found["Syria"][1] < found["Idlib"][1], "the country counts for half"


def extracted_articles() -> set[int]:
    return set(
        ArticleTopic.objects.filter(origin=ArticleTopic.Origin.EXTRACTED).values_list("article", flat=True)
    )


@pytest.mark.django_db
def test_a_feeds_topics_are_derived_by_a_background_task() -> None:
    queued: list[int] = []
    ingestor = Ingestor(str(fixture("feed-rss.xml")), Options(), topics_later=queued.append)
    for item in ingestor.poll() or []:
        ingestor.store(item)
    assert len(queued) == Article.objects.count() == 3
    assert extracted_articles() == set(), "not when the items are stored"
    for article_id in queued:
        tasks.derive_topics(article_id)  # what the worker runs
    assert extracted_articles(), "the items that name something have topics now"


@pytest.mark.django_db
def test_the_ingest_command_queues_a_feeds_topics_for_the_worker(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        ingest(fixture("feed-rss.xml"))
    assert len(queued) == 3 and extracted_articles() == set()
    for callback in queued:
        callback()  # tasks run at once in tests (Celery's eager mode)
    assert extracted_articles()
