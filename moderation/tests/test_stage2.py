"""The second stage: a MiniLM head that re-ranks only the first stage's uncertain band."""

import json
import zipfile

import numpy as np
import pytest

from moderation import classifier
from moderation.classifier import DEFAULT_ARTIFACT, ModelUnavailable, ToxicityModel, sigmoid
from moderation.normalize import normalize
from moderation.stage2 import DEFAULT_STAGE2
from moderation.tests.test_classifier import CLEARLY_CIVIL, CLEARLY_TOXIC
from moderation.training.data import Example
from moderation.training.stage2 import EmbeddingCache, Stage2Config, train_stage2, write_stage2
from moderation.training.train import write_npz

# Rude or pointed but not clearly abusive: the kind of comment the band is for.
BORDERLINE = [
    "This is the dumbest policy the council has come up with in years.",
    "Typical lazy journalism, did anyone even check the numbers?",
    "People who vote for this clown get what they deserve.",
    "Oh sure, because that worked so well last time. Brilliant.",
    "Get your facts straight before you lecture the rest of us.",
    "What a ridiculous, idiotic waste of public money.",
]


@pytest.fixture(autouse=True)
def shipped_model(settings):
    settings.MODERATION_MODEL_PATH = None
    settings.MODERATION_STAGE2_PATH = None
    classifier.reset_model()
    yield
    classifier.reset_model()


def first_stage(model, texts):
    matrix = model.features([normalize(t) for t in texts])
    return model.head_logits(model.component_scores(texts, matrix))


def test_the_shipped_second_stage_loads_with_the_shipped_model():
    assert DEFAULT_STAGE2.is_file() and DEFAULT_STAGE2.stat().st_size < 100_000
    with zipfile.ZipFile(DEFAULT_STAGE2) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    model = classifier.get_model()
    assert model.stage2 is not None and model.stage2.meta["base_digest"] == model.base_digest
    assert model.digest != model.base_digest  # a site layer is tied to both stages
    assert model.tables is not model.first_stage_tables
    for head in ("toxicity", "identity_attack"):
        spec = model.stage2.heads[head]
        assert spec.weights.shape == (384,) and spec.low < spec.high
        assert 0.0 < model.tables.for_target(0.05)[head] < 1.0


def test_only_texts_in_the_uncertain_band_are_encoded():
    model = classifier.get_model()
    assert model.stage2 is not None
    texts = CLEARLY_CIVIL + CLEARLY_TOXIC + BORDERLINE
    first = first_stage(model, texts)
    expected = [texts[i] for i in model.stage2.band_rows(first)]
    assert 0 < len(expected) < len(texts)  # some in the band, some outside
    encoder, seen = model.stage2.encoder, []
    original = encoder.encode

    def recording(batch):
        seen.extend(batch)
        return original(batch)

    encoder.encode = recording  # the real encoder, watched
    try:
        final = model.deciding_logits(texts, model.features([normalize(t) for t in texts]))
        for text in CLEARLY_CIVIL:
            model.score_batch([text])
    finally:
        del encoder.encode
    assert seen == expected  # the civil texts alone never reach the encoder
    for head, spec in model.stage2.heads.items():
        inside = spec.in_band(first[head])
        np.testing.assert_array_equal(final[head][~inside], first[head][~inside])
        assert np.all((final[head][inside] >= spec.low) & (final[head][inside] <= spec.high))


def test_clearly_toxic_ranks_above_civil_and_borderline_in_between_with_both_stages():
    model = classifier.get_model()
    civil = model.predict_proba(CLEARLY_CIVIL)[:, 0]
    toxic = model.predict_proba(CLEARLY_TOXIC)[:, 0]
    assert toxic.min() > civil.max()
    assert sigmoid(np.array([model.stage2.heads["toxicity"].low])) > civil.max()


def test_a_missing_or_foreign_second_stage_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailable, match="cannot read the second-stage artifact"):
        ToxicityModel(DEFAULT_ARTIFACT, tmp_path / "missing.npz")
    with np.load(DEFAULT_STAGE2, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays["meta"].reshape(-1)[0]))
    meta["base_digest"] = "0" * 16
    arrays["meta"] = np.array(json.dumps(meta))
    write_npz(arrays, tmp_path / "foreign.npz")
    with pytest.raises(ModelUnavailable, match="retrain both"):
        ToxicityModel(DEFAULT_ARTIFACT, tmp_path / "foreign.npz")


def test_the_second_stage_can_be_switched_off(settings):
    settings.MODERATION_STAGE2_PATH = ""
    classifier.reset_model()
    model = classifier.get_model()
    assert model.stage2 is None and model.tables is model.first_stage_tables
    assert model.digest == model.base_digest


def _examples() -> list[Example]:
    rows = []
    for split in ("train", "val"):
        for source in ("civil_comments", "agora_civil", "olid", "hateval", "davidson"):
            for i, text in enumerate(CLEARLY_TOXIC + CLEARLY_CIVIL + BORDERLINE):
                label = int(text in CLEARLY_TOXIC or (text in BORDERLINE and i % 2 == 0))
                raw = f"{text} ({source} {split})"
                labels = {"toxicity": label, "identity_attack": label}
                rows.append(Example(normalize(raw), source, split, labels, raw))
    return rows


def test_training_is_deterministic_and_reads_the_embeddings_cache(tmp_path):
    config = Stage2Config(max_tokens=32)
    model = ToxicityModel(DEFAULT_ARTIFACT)
    result = train_stage2(_examples(), model, config, EmbeddingCache(config, tmp_path))
    assert len(list((tmp_path / "t32").glob("cache_*.npz"))) == 1
    first = write_stage2(result, config, model.base_digest, tmp_path / "a.npz")
    again = train_stage2(_examples(), model, config, EmbeddingCache(config, tmp_path))
    assert len(list((tmp_path / "t32").glob("cache_*.npz"))) == 1  # nothing encoded the second time
    write_stage2(again, config, model.base_digest, tmp_path / "b.npz")
    assert first < 100_000 and (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = ToxicityModel(DEFAULT_ARTIFACT, tmp_path / "a.npz")
    assert loaded.stage2 is not None and set(loaded.stage2.heads) == {"toxicity", "identity_attack"}
