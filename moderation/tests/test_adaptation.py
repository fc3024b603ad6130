"""Site adaptation: history import, adapting to a site's decisions (adopted or refused), rollback."""

import itertools
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from moderation import adaptation, classifier, policy, services, versions
from moderation.adaptation import AdaptationError, BaseValidation, Examples
from moderation.models import AuditEntry, HistoryExample, ModelVersion
from moderation.tests.test_classifier import CLEARLY_CIVIL, CLEARLY_TOXIC
from posting import actions as comments

pytestmark = pytest.mark.django_db

PRODUCTS = ["watches", "sunglasses", "handbags", "sneakers", "phones", "perfume", "jackets", "tablets"]
SHOPS = ["megadeals", "bestprice", "shopnow", "cheapstore", "dealhub"]
TOPICS = ["budget", "bridge", "school board", "harbour", "library", "election", "bus route", "park"]
# Heated but civil: the base model scores these a little above the adverts.
OPINIONS = [
    "What a terrible decision about the",
    "I hate how the coverage ignores the",
    "Damn good reporting on the",
]
INSULTS = [
    f"You are a {a} {n}"
    for a, n in itertools.product(["stupid", "pathetic", "dumb"], ["moron", "loser", "clown"])
]


@pytest.fixture(autouse=True)
def small_site(settings):
    settings.MODERATION_MODEL_PATH = None
    settings.MODERATION_HOLD_THRESHOLD = None
    settings.MODERATION_ADAPT_MIN_EXAMPLES = 100
    settings.MODERATION_ADAPT_MIN_PER_CLASS = 10
    classifier.reset_model()
    yield
    classifier.reset_model()


def spam_site() -> Examples:
    """A site whose moderators take down insults and shop adverts (which the base model sees as civil)."""
    adverts = [f"Great deals on {p} at {s}, visit today" for p, s in itertools.product(PRODUCTS, SHOPS)]
    adverts += [f"{insult} number {n}" for insult, n in itertools.product(INSULTS, range(3))]
    civil = [f"{o} {t} plan number {n}" for o, t, n in itertools.product(OPINIONS, TOPICS, range(5))]
    texts = adverts + civil
    labels = np.array([1] * len(adverts) + [0] * len(civil), dtype=np.int8)
    return Examples(texts, labels, {"imported_history": len(texts)})


def base_validation() -> BaseValidation:
    texts = CLEARLY_TOXIC + CLEARLY_CIVIL
    labels = np.array([1] * len(CLEARLY_TOXIC) + [0] * len(CLEARLY_CIVIL), dtype=np.int8)
    return BaseValidation(texts, labels, np.array(["tests"] * len(texts)))


def test_adaptation_is_adopted_when_it_helps_and_the_pipeline_uses_it(alice, thread):
    advert = "Great deals on watches at megadeals, visit today"
    before = versions.score(advert).toxicity
    version = adaptation.adapt(examples=spam_site(), base=base_validation())
    assert version.adopted and version.is_active, version.note
    site = version.figures["site_holdout_auc"]
    assert site["after"] > site["before"]
    assert version.figures["base_validation_auc"]["worst_loss"] <= adaptation.MAX_BASE_LOSS
    assert version.counts["fitted_on"] + version.counts["held_out"] == len(spam_site())
    assert versions.current().version_id == version.pk
    assert versions.score(advert).toxicity > before
    assert (
        comments.post_comment(alice, thread, "Great deals on phones at dealhub, visit today").status == "held"
    )
    assert AuditEntry.objects.filter(action="adopt_model").exists()
    # A base version was recorded too, so the site can go back to the shipped model.
    assert ModelVersion.objects.filter(trigger=ModelVersion.Trigger.BASE, adopted=True).count() == 1


def upside_down_site() -> Examples:
    """Moderators who approve insults and take down civil comments."""
    insults = [f"{t} {n}" for t, n in itertools.product(CLEARLY_TOXIC, range(8))]
    civil = [f"{t} {n}" for t, n in itertools.product(CLEARLY_CIVIL, range(6))]
    return Examples(
        insults + civil,
        np.array([0] * len(insults) + [1] * len(civil), dtype=np.int8),
        {"imported_history": len(insults) + len(civil)},
    )


def test_adaptation_is_refused_when_it_hurts_the_base_validation_sets(monkeypatch):
    monkeypatch.setattr(adaptation, "SHARES", (1.0,))  # the whole layer, or nothing
    version = adaptation.adapt(examples=upside_down_site(), base=base_validation())
    assert not version.adopted and not version.is_active
    assert version.note.startswith("refused: it loses")
    assert version.figures["base_validation_auc"]["worst_loss"] > adaptation.MAX_BASE_LOSS
    assert versions.current().layer is None
    assert AuditEntry.objects.filter(action="refuse_model").exists()


def test_a_layer_kept_close_to_the_base_model_is_refused_when_it_does_not_help():
    """Moved only an eighth of the way, the upside-down layer no longer hurts the base sets, and it no
    longer beats the running model on the site's held-out decisions either."""
    version = adaptation.adapt(examples=upside_down_site(), base=base_validation())
    assert not version.adopted
    assert version.note.startswith("refused: held-out AUC")
    assert versions.current().layer is None


def test_adaptation_needs_enough_decisions_of_both_kinds(settings):
    few = Examples(["a civil comment"] * 5, np.zeros(5, dtype=np.int8), {})
    with pytest.raises(AdaptationError, match="not enough of the site's own decisions"):
        adaptation.adapt(examples=few, base=base_validation())
    assert adaptation.scheduled_adaptation().startswith("not adapted: not enough")
    assert not ModelVersion.objects.exclude(trigger=ModelVersion.Trigger.BASE).exists()


def test_rollback_makes_the_shipped_model_run_again(moderator):
    adopted = adaptation.adapt(examples=spam_site(), base=base_validation())
    base = versions.base_version()
    assert not base.is_active
    versions.rollback(moderator, base, "too many adverts let through")
    base.refresh_from_db()
    adopted.refresh_from_db()
    assert base.is_active and not adopted.is_active
    assert versions.current().layer is None and versions.current().version_id == base.pk
    entry = AuditEntry.objects.get(action="rollback_model")
    assert entry.actor_name == "mod" and entry.details == {"previous": adopted.pk}
    versions.rollback(moderator, adopted)  # and forward again
    assert versions.current().version_id == adopted.pk


def test_rollback_needs_a_moderator_and_an_adopted_version(alice, moderator):
    refused = ModelVersion.objects.create(
        trigger="manual", artifact=classifier.get_model().digest, adopted=False
    )
    with pytest.raises(versions.VersionError, match="Only moderators"):
        versions.rollback(alice, versions.base_version())
    with pytest.raises(versions.VersionError, match="adopted"):
        versions.rollback(moderator, refused)


def test_site_thresholds_come_from_the_site_once_it_has_enough(settings):
    settings.MODERATION_SITE_MIN_CIVIL = 50
    settings.MODERATION_SITE_MIN_TOXIC = 20
    version = adaptation.adapt(examples=spam_site(), base=base_validation())
    assert version.counts["thresholds_from"] == "site decisions"
    assert versions.current().tables_from == "site decisions"
    assert policy.site_thresholds().hold == pytest.approx(
        versions.current().tables.for_target(0.05)["toxicity"]
    )


def test_moderator_decisions_are_labelled_examples(newcomer, moderator, thread):
    held = comments.post_comment(newcomer, thread, "You are a worthless idiot.")
    kept = comments.post_comment(newcomer, thread, "Thanks for the story about the harbour.")
    services.reject(moderator, held, "insult")
    services.approve(moderator, kept)
    examples = adaptation.site_examples()
    found = dict(zip(examples.texts, examples.labels.tolist(), strict=True))
    assert found == {"You are a worthless idiot.": 1, "Thanks for the story about the harbour.": 0}
    assert examples.origins == {"moderator_decisions": 2, "imported_history": 0}


# --- importing history -------------------------------------------------------------------------------


def run_import(path) -> str:
    out = StringIO()
    call_command("import_moderation_history", str(path), stdout=out)
    return out.getvalue()


def test_import_of_a_good_history_file(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "text,label,created,section\n"
        "Thanks for the article,0,2024-05-31,world\n"
        '"You idiot, nobody asked you",1,2024-06-01T10:00:00,\n'
        "Another civil remark,0,,\n",
        encoding="utf-8",
    )
    assert "Imported 3 decisions (1 taken down)" in run_import(path)
    rows = list(HistoryExample.objects.values_list("label", "section"))
    assert rows == [(0, "world"), (1, ""), (0, "")]
    assert HistoryExample.objects.get(label=1).created.year == 2024
    assert adaptation.site_examples().origins["imported_history"] == 3


def test_import_with_bad_rows_names_each_and_imports_nothing(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "text,label,created\n"
        "Fine comment,0,\n"
        ",1,\n"
        "Another,maybe,\n"
        "Third,1,last tuesday\n"
        "Good again,1,2024-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        run_import(path)
    message = str(error.value)
    assert "3 bad rows, nothing imported" in message
    assert "line 3: text is empty" in message
    assert "line 4: label must be 0 or 1, got 'maybe'" in message
    assert "line 5: created 'last tuesday' is not an ISO 8601 date" in message
    assert HistoryExample.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("comment,label\nhi,0\n", "no 'text' column"), ("text,label\n", "no rows to import")],
)
def test_import_refuses_files_it_cannot_use(tmp_path, content, message):
    path = tmp_path / "history.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run_import(path)
    with pytest.raises(CommandError, match="not found"):
        run_import(tmp_path / "absent.csv")
    assert HistoryExample.objects.count() == 0


# --- the dashboard ---------------------------------------------------------------------------------


def test_dashboard_shows_expected_rates_and_versions_and_rolls_back(client, moderator):
    adopted = adaptation.adapt(examples=spam_site(), base=base_validation())
    client.force_login(moderator)
    page = client.get(reverse("moderation:dashboard")).text
    expected = policy.site_thresholds().expected
    assert "Policy: hold at most <strong>5%</strong> of civil comments" in page
    assert f"<strong>{round(expected['false_holds'] * 100)}%</strong> of civil comments held" in page
    assert f"<strong>{round(expected['leak'] * 100)}%</strong> of toxic comments published" in page
    assert f'<th scope="row">{adopted.pk} <strong>(running)</strong></th>' in page
    base = versions.base_version()
    assert page.count("Run this version again") == 1  # the shipped model; the running one has none
    response = client.post(reverse("moderation:activate-model", args=[base.pk]), {"reason": "test"})
    assert response.status_code == 302
    assert versions.current().version_id == base.pk
    assert AuditEntry.objects.filter(action="rollback_model", reason="test").exists()


def test_only_moderators_roll_back(client, alice):
    base = versions.base_version()
    adaptation.adapt(examples=spam_site(), base=base_validation())
    client.force_login(alice)
    client.post(reverse("moderation:activate-model", args=[base.pk]))
    assert versions.current().version_id != base.pk
