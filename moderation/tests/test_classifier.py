import time
import zipfile

import numpy as np
import pytest

from moderation import classifier
from moderation.classifier import (
    DEFAULT_ARTIFACT,
    HEADS,
    ModelUnavailable,
    ModerationScores,
    ToxicityModel,
    get_model,
    hold_threshold,
    score,
    score_batch,
)
from moderation.training.data import read_civil_samples

CLEARLY_TOXIC = [
    "You are a worthless idiot and nobody wants you here.",
    "Shut the fuck up, you pathetic loser.",
    "What a stupid moron, go crawl back under your rock.",
    "You dumb bitch, nobody cares what you think.",
    "I hope someone beats you to death, you piece of garbage.",
    "Only a brain-dead imbecile would write such crap.",
    "Y0u are a st00pid 1d10t.",
    "ｙｏｕ ａｒｅ ａｎ ｉｄｉｏｔ",
]

# Written for these tests (not in civil_samples.txt): civil comments and neutral news sentences.
CLEARLY_CIVIL = [
    "I enjoyed this article about the new community garden on Birch Road.",
    "The school board should publish the full budget before the vote.",
    "Thank you for the correction about the ferry timetable.",
    "I respectfully disagree; the data from last year point the other way.",
    "The city will resurface the highway between exits 4 and 9 this summer.",
    "My neighbours and I volunteered at the food bank on Saturday.",
    "The museum is open late on Fridays during the summer exhibition.",
    "Local farmers expect a smaller wheat harvest because of the dry spring.",
    "The senator answered questions from students at the town hall.",
    "Great photos of the marathon, congratulations to all the runners.",
    "The new clinic will offer evening appointments for working parents.",
    "Is there a way to watch the council meeting online?",
]


@pytest.fixture(autouse=True)
def fresh_model(settings):
    settings.MODERATION_MODEL_PATH = None
    settings.MODERATION_HOLD_THRESHOLD = None
    classifier.reset_model()
    yield
    classifier.reset_model()


def test_artifact_is_committed_small_and_pickle_free():
    assert DEFAULT_ARTIFACT.is_file()
    assert DEFAULT_ARTIFACT.stat().st_size < 5_000_000
    with zipfile.ZipFile(DEFAULT_ARTIFACT) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    model = ToxicityModel(DEFAULT_ARTIFACT)
    with np.load(DEFAULT_ARTIFACT, allow_pickle=False) as data:
        for component in model.meta["components"]:
            assert data[f"{component}__weights"].dtype == np.float32
            assert data[f"{component}__columns"].dtype == np.uint32


def test_model_loads_from_the_artifact():
    model = ToxicityModel(DEFAULT_ARTIFACT)
    assert model.heads == HEADS
    assert 0.0 < model.tables.for_target(0.05)["toxicity"] < 1.0
    assert model.meta["training"]["validation"]["toxicity"]["per_source"]


def test_scores_are_probabilities_with_every_category():
    result = score("You are an idiot.")
    assert isinstance(result, ModerationScores)
    assert set(result.as_dict()) == set(HEADS)
    assert all(0.0 <= value <= 1.0 for value in result.as_dict().values())


def test_toxic_text_ranks_above_civil_text():
    toxic = [s.toxicity for s in score_batch(CLEARLY_TOXIC)]
    civil = [s.toxicity for s in score_batch(CLEARLY_CIVIL)]
    assert min(toxic) > max(civil)
    threshold = hold_threshold()
    assert all(value >= threshold for value in toxic)


def test_civil_news_sentences_are_not_held():
    for text, result in zip(CLEARLY_CIVIL, score_batch(CLEARLY_CIVIL), strict=True):
        assert not result.should_hold(), (text, result.toxicity)


def test_held_out_civil_samples_are_rarely_held():
    """Target: at most 3 % of the held-out civil samples held at the default settings (either head)."""
    held_out = [text for text, split in read_civil_samples() if split == "val"]
    assert len(held_out) >= 80
    thresholds = get_model().tables.for_target(0.05)
    held = [
        text
        for text, result in zip(held_out, score_batch(held_out), strict=True)
        if result.toxicity >= thresholds["toxicity"]
        or result.identity_attack >= thresholds["identity_attack"]
    ]
    assert len(held) / len(held_out) <= 0.03, held


def test_categories_follow_the_kind_of_abuse():
    threat = score("I am going to find you and kill you.")
    insult = score("You are a pathetic idiot.")
    assert threat.threat > insult.threat
    assert insult.insult > score("The library opens at nine.").insult


def test_batch_matches_single_and_handles_odd_input():
    texts = ["You moron.", "", "Nice weather today.", None]
    batch = score_batch(texts)
    assert len(batch) == 4
    for text, result in zip(texts[:3], batch, strict=False):
        assert result.toxicity == pytest.approx(score(text).toxicity, abs=1e-6)
    assert score_batch([]) == []


def test_hold_threshold_setting_overrides_the_artifact(settings):
    settings.MODERATION_HOLD_THRESHOLD = 0.01
    assert hold_threshold() == 0.01
    assert score("The library opens at nine.").should_hold() is (
        score("The library opens at nine.").toxicity >= 0.01
    )


def test_missing_artifact_raises_a_clear_error(settings, tmp_path):
    settings.MODERATION_MODEL_PATH = str(tmp_path / "absent.npz")
    classifier.reset_model()
    with pytest.raises(ModelUnavailable, match="not found"):
        score("hello")


def test_single_comment_latency_is_small():
    score("warm up")
    text = "I think the council got this one wrong, but I appreciate the public hearing. " * 3
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        score(text)
        timings.append(time.perf_counter() - started)
    # Generous bound for a shared test machine; evaluate_moderation measures the real p50 (about 1 ms).
    assert sorted(timings)[len(timings) // 2] < 0.02


@pytest.mark.parametrize("head", ["toxicity", "identity_attack"])
def test_each_deciding_head_loads_and_has_a_threshold_table(head):
    model = ToxicityModel(DEFAULT_ARTIFACT)
    assert head in model.stacked
    thresholds = model.tables.tables[head]["threshold"]
    assert len(thresholds) == 1001 and np.all(np.diff(thresholds) <= 0)  # more held, lower threshold
    assert 0.0 < model.tables.threshold(head, 0.05) < 1.0


def test_identity_attack_ranks_hate_against_a_group_above_civil_text():
    hateful = [
        "Muslims are vermin and should be deported.",
        "Immigrants are animals, send them all back where they came from.",
        "Women are too stupid to be allowed to vote.",
        "All gay people are disgusting perverts.",
    ]
    insults = ["You are a pathetic idiot.", "Shut the fuck up, you loser.", "What a stupid argument."]
    hate_scores = [s.identity_attack for s in score_batch(hateful)]
    assert min(hate_scores) > max(s.identity_attack for s in score_batch(CLEARLY_CIVIL))
    # Abuse of one person is toxicity's meaning, not this head's.
    assert np.mean(hate_scores) > np.mean([s.identity_attack for s in score_batch(insults)])


def test_scores_are_calibrated_to_a_news_site_prevalence():
    """Calibrated to 5 % toxic: civil text scores near 0, clear abuse near 1, thresholds are low."""
    assert max(s.toxicity for s in score_batch(CLEARLY_CIVIL)) < 0.05
    assert np.mean([s.toxicity for s in score_batch(CLEARLY_TOXIC)]) > 0.5
    assert get_model().stacked["toxicity"].scale > 0
