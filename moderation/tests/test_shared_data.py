"""Checks against the real moderation data; skipped where shared/data/moderation is absent."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from moderation import classifier
from moderation.training.data import holdout_split, read_civil_samples, read_rows

DATA_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "moderation"

pytestmark = [
    pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"moderation data not found at {DATA_DIR}"),
    pytest.mark.django_db,
]


@pytest.fixture(autouse=True)
def fresh_model(settings):
    settings.MODERATION_MODEL_PATH = None
    settings.MODERATION_HOLD_THRESHOLD = None
    classifier.reset_model()
    yield
    classifier.reset_model()


def evaluate(name: str) -> dict:
    out = StringIO()
    call_command(
        "evaluate_moderation",
        "--data",
        str(DATA_DIR / name),
        "--json",
        "--no-baseline",
        "--latency-samples",
        "50",
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_olid_test_split_auc_does_not_regress():
    result = evaluate("olid_offenseval2019.csv.gz")
    assert result["rows"] == 860  # only split == test
    assert result["auc"] >= 0.83


def test_hatecheck_reports_accuracy_per_functionality():
    result = evaluate("hatecheck_functional_tests.csv.gz")
    accuracy = result["functionality_accuracy"]
    assert len(accuracy) == 29
    assert sum(row["n"] for row in accuracy.values()) == result["rows"] == 3728


def test_civil_comments_positives_half_held_on_the_validation_fold():
    """At the default target (5 % of civil comments held) about half of Civil Comments' toxic
    comments are held (it was 90 % at the old hand-set threshold, which held a third of civil ones)."""
    rows = [
        r
        for r in read_rows(DATA_DIR / "civil_comments_toxic_spans.csv.gz")
        if holdout_split(r["text"]) == "val"
    ]
    held = [s.should_hold() for s in classifier.score_batch([r["text"] for r in rows])]
    assert sum(held) / len(held) >= 0.45


def test_civil_samples_do_not_repeat_test_texts():
    test_texts = {r["text"].strip() for r in read_rows(DATA_DIR / "hatecheck_functional_tests.csv.gz")}
    assert not test_texts & {text for text, _ in read_civil_samples()}


@pytest.mark.parametrize(
    ("name", "rows_of"),
    [
        ("wikipedia_talk_cat.csv.gz", lambda r: holdout_split(r["text"]) == "val"),  # our validation fold
        ("unhealthy_comments_ucc_val_test.csv.gz", lambda r: r["split"] == "test"),  # news comments
    ],
)
def test_mean_predicted_toxicity_is_within_a_few_points_of_the_observed_rate(name, rows_of):
    rows = [r for r in read_rows(DATA_DIR / name) if rows_of(r)]
    predicted = sum(s.toxicity for s in classifier.score_batch([r["text"] for r in rows])) / len(rows)
    observed = sum(int(r["label"]) for r in rows) / len(rows)
    assert abs(predicted - observed) <= 0.03, (predicted, observed)


def test_training_data_never_holds_an_evaluate_only_or_test_text():
    from moderation.training.data import (
        EVALUATE_ONLY_FILES,
        TEST_ONLY_FILES,
        letters_and_digits,
        load_training_data,
    )

    never = set()
    for name in EVALUATE_ONLY_FILES + TEST_ONLY_FILES:
        never |= {letters_and_digits(r["text"]) for r in read_rows(DATA_DIR / name)}
    sources = set()
    for example in load_training_data(DATA_DIR):
        sources.add(example.source)
        assert letters_and_digits(example.raw) not in never
    assert not sources & {"ucc", "sfu", "ethos", "youtoxic"}


def test_simulated_site_is_measured_in_a_scratch_database(tmp_path):
    from moderation.models import HistoryExample, ModelVersion

    history = tmp_path / "history.csv"
    rows = [r for r in read_rows(DATA_DIR / "unhealthy_comments_ucc_val_test.csv.gz") if r["split"] == "val"]
    with history.open("w", encoding="utf-8", newline="") as out:
        import csv

        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows((r["text"], r["label"]) for r in rows[:1500])
    out = StringIO()
    call_command(
        "evaluate_moderation",
        "--data",
        str(DATA_DIR / "sfu_constructiveness_toxicity_globe_and_mail.csv.gz"),
        "--simulate-site",
        str(history),
        "--json",
        "--no-baseline",
        "--latency-samples",
        "20",
        stdout=out,
    )
    simulation = json.loads(out.getvalue())["simulation"]
    assert simulation["imported"] == 1500
    assert {"before", "after", "auc_gain", "note", "checks"} <= set(simulation)
    assert simulation["note"].startswith(("adopted", "refused"))
    assert not HistoryExample.objects.exists() and not ModelVersion.objects.exists()
