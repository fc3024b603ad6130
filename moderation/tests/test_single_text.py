"""One comment's path (``predict_one``: no sparse matrices) gives the batch path's scores."""

import numpy as np
import pytest

from moderation import classifier
from moderation.classifier import LinearPart, SiteLayer, ToxicityModel
from moderation.normalize import normalize
from moderation.tests.test_classifier import CLEARLY_CIVIL, CLEARLY_TOXIC
from moderation.tests.test_stage2 import BORDERLINE
from moderation.training.data import read_civil_samples

ODD = [
    "",
    " ",
    "\n\t  \r\n",
    "!!!",
    "?",
    "...",
    "a",
    "I",
    "12345 67 8 9",
    "🙂",
    "🤬🤬🤬 you 🤡",
    "Great job 👏👏 really 💯",
    "ZeroWidth: id\u200biot, mo\u200dron",
    "Combining: i\u0301dio\u0308t",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ ｈｅｒｅ",
    "ALL CAPS SHOUTING ABOUT THE BUDGET!!!!",
    "f.u.c.k y.o.u",
    "f u c k   o f f",
    "y0u 4r3 4 m0r0n",
    "id10t$ @nd l0s3rs",
    "sh!t, what a b!tch",
    "stuuuuuupid iiiidiot",
    "You are an i-d-i-o-t",
    "Das ist völliger Unsinn, du Idiot.",
    "C'est une très bonne idée, merci beaucoup.",
    "Eres un imbécil y un mentiroso.",
    "Это просто глупо, идиот.",
    "这是一篇很好的文章。",
    "これは素晴らしい記事です",
    "هذا مقال رائع جدا",
    "Ελληνικά κείμενα εδώ",
    "https://example.org/path?query=1&b=2",
    "Read this: http://news.example.com/2024/05/council-vote.html, it is worse than you think",
    "www.idiots.example visit now!!! http://bit.ly/xyz",
    "mailto:someone@example.com or call 555-0100",
    "<b>bold</b> &amp; <script>alert(1)</script>",
    "line one\nline two\n\nline three",
    "tab\tseparated\tvalues",
    "'quoted' \"double\" «guillemets» „low“",
    "a" * 3000,
    "word " * 2000,
    "You idiot. " * 400,
    "The council met on Tuesday. " * 300,
    "x",
    "\u00a0non\u00a0breaking\u00a0space",
    "emoji at the end of a long civil sentence about the ferry timetable 🚢",
]


def varied_texts() -> list[str]:
    """A few hundred texts: hand-written civil sentences, insults, borderline remarks, odd input, and
    mixtures of them (case, punctuation, URLs, repeats)."""
    civil = [text for text, _ in read_civil_samples()][:150]
    base = CLEARLY_CIVIL + CLEARLY_TOXIC + BORDERLINE + ODD + civil
    rng = np.random.default_rng(7)
    mixed = []
    for _ in range(80):
        a, b = rng.choice(len(base), 2, replace=False)
        text = f"{base[a]} {base[b]}"
        mixed.append(text.upper() if rng.random() < 0.2 else text)
    insults = [f"{civil[i]} {CLEARLY_TOXIC[i % len(CLEARLY_TOXIC)]}" for i in range(0, 60, 3)]
    return base + mixed + insults


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return varied_texts()


_ENCODED: dict[tuple[str, ...], np.ndarray] = {}


@pytest.fixture(autouse=True)
def shipped_model(settings):
    """The shipped model; its (real) encoder remembers what it encoded, so each text of the second
    stage's band is encoded once for all the comparisons here (it is deterministic: test_encoder)."""
    settings.MODERATION_MODEL_PATH = None
    settings.MODERATION_STAGE2_PATH = None
    classifier.reset_model()
    stage2 = classifier.get_model().stage2
    assert stage2 is not None
    encoder, original = stage2.encoder, stage2.encoder.encode

    def remembered(batch):
        key = tuple(batch)
        if key not in _ENCODED:
            _ENCODED[key] = original(batch)
        return _ENCODED[key].copy()

    encoder.encode = remembered
    yield
    del encoder.encode
    classifier.reset_model()


def layer_for(model: ToxicityModel, texts: list[str]) -> SiteLayer:
    """A layer whose residual touches columns the texts really have (and others), with weights big
    enough to move scores."""
    present = np.unique(model.features([normalize(t) for t in texts]).indices)
    rng = np.random.default_rng(1)
    columns = np.union1d(
        rng.choice(present, len(present) // 3, replace=False),
        rng.choice(model.config.n_features, 5000, replace=False),
    )
    return SiteLayer(0.8, -0.4, LinearPart(columns, rng.normal(0, 0.5, len(columns)).astype(np.float32), 0.0))


def test_the_features_of_one_text_are_its_row_of_the_batch(texts):
    model = classifier.get_model()
    normalised = [normalize(t) for t in texts]
    matrix = model.features(normalised)
    vocabulary = model.vocabulary.decision_function(texts)
    for i, text in enumerate(normalised):
        columns, values = model.featurizer.transform_one(text)
        row = matrix[i]
        assert columns.dtype == np.int64 and values.dtype == np.float32
        assert np.array_equal(columns, row.indices), texts[i]
        np.testing.assert_allclose(values, row.data, rtol=1e-6, atol=1e-7)
        assert model.vocabulary.decision_function_one(texts[i]) == pytest.approx(vocabulary[i], abs=1e-9)


@pytest.mark.parametrize("with_layer", [False, True])
def test_one_text_scores_as_the_batch_path_does(texts, with_layer):
    model = classifier.get_model()
    assert model.stage2 is not None
    layer = layer_for(model, texts) if with_layer else None
    matrix = model.features([normalize(t) for t in texts])
    first = model.head_logits(model.component_scores(texts, matrix))
    in_band = len(model.stage2.band_rows(first))
    assert 10 <= in_band < len(texts) - 50  # both sides of the second stage are checked
    for text in texts:
        batch = model.predict_proba([text], layer)[0]
        np.testing.assert_allclose(model.predict_one(text, layer), batch, rtol=0, atol=1e-6, err_msg=text)
    if layer is not None:  # the layer moves scores, so the comparison above is not of equal base scores
        base = np.array([model.predict_one(t)[0] for t in texts[:40]])
        layered = np.array([model.predict_one(t, layer)[0] for t in texts[:40]])
        assert np.abs(base - layered).max() > 0.05


def test_one_text_scores_as_the_first_stage_alone_does(texts):
    model = ToxicityModel(classifier.DEFAULT_ARTIFACT)
    assert model.stage2 is None
    batch = model.predict_proba(texts)
    for i, text in enumerate(texts):
        np.testing.assert_allclose(model.predict_one(text), batch[i], rtol=0, atol=1e-6, err_msg=text)


def test_a_layer_with_unsorted_and_repeated_columns(texts):
    model = classifier.get_model()
    layer = layer_for(model, texts)
    rng = np.random.default_rng(2)
    order = rng.permutation(np.concatenate([np.arange(len(layer.residual.columns))] * 2))
    shuffled = SiteLayer(
        layer.scale,
        layer.bias,
        LinearPart(layer.residual.columns[order], layer.residual.weights[order], 0.0),
    )
    matrix = model.features([normalize(t) for t in texts])
    residuals = shuffled.residuals(matrix)
    assert np.abs(residuals).max() > 0.1
    for i, text in enumerate(texts):
        columns, values = model.featurizer.transform_one(normalize(text))
        assert shuffled.residual_one(columns, values) == pytest.approx(residuals[i], abs=1e-5)


def test_score_batch_of_one_text_builds_no_sparse_matrix():
    model = classifier.get_model()
    calls = []
    original = model.features

    def recording(texts):
        calls.append(len(texts))
        return original(texts)

    model.features = recording  # the real featurizer, watched
    try:
        one = model.score_batch(["You moron."])
        two = model.score_batch(["You moron.", "Nice weather today."])
    finally:
        del model.features
    assert calls == [2]  # only the batch of two went through the sparse path
    assert one[0].toxicity == pytest.approx(two[0].toxicity, abs=1e-6)
