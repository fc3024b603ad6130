"""The second stage's sentence encoder: all-MiniLM-L6-v2 from its PyPI package, run in numpy."""

import numpy as np
import pytest

from moderation.encoder import DIMENSION, EncoderUnavailable, SentenceEncoder, get_encoder

SENTENCES = [
    "A man is playing a guitar.",
    "Someone is playing a musical instrument.",
    "The stock market fell sharply this morning.",
    "You are a complete idiot and should shut up.",
    "What a moron, nobody cares what you think.",
]


@pytest.fixture(scope="module")
def encoder():
    return get_encoder()


def test_embeddings_are_unit_vectors_in_input_order(encoder):
    vectors = encoder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), DIMENSION)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, DIMENSION)


def test_paraphrases_are_closer_than_unrelated_sentences(encoder):
    v = encoder.encode(SENTENCES)
    similarity = v @ v.T
    assert similarity[0, 1] > 0.5  # sentence-transformers gives 0.67 for this pair
    assert similarity[0, 1] > similarity[0, 2] + 0.4
    assert similarity[3, 4] > max(similarity[3, 0], similarity[3, 2]) + 0.2


def test_tokenizer_matches_bert_uncased_wordpieces(encoder):
    assert encoder.token_ids(["A man is playing a guitar."]) == [
        [101, 1037, 2158, 2003, 2652, 1037, 2858, 1012, 102]
    ]
    long = encoder.token_ids(["word " * 1000])[0]
    assert len(long) == encoder.max_tokens and long[-1] == 102


def test_encoding_is_deterministic_and_independent_of_the_batch(encoder):
    first = encoder.encode(SENTENCES)
    assert np.array_equal(first, encoder.encode(SENTENCES))
    alone = np.vstack([encoder.encode([text]) for text in SENTENCES])
    np.testing.assert_allclose(first, alone, atol=1e-5)
    # A fresh instance from the same files gives the same vectors.
    assert np.array_equal(first, SentenceEncoder().encode(SENTENCES))


def test_missing_files_give_a_clear_error(tmp_path):
    with pytest.raises(EncoderUnavailable, match="cannot read the sentence encoder"):
        SentenceEncoder(tmp_path)
