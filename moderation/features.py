"""Turning normalised comments into sparse feature vectors (shared by training and inference).

Two hashed bags, each L2-normalised on its own and then put side by side:

* words and word pairs (unigrams + bigrams, punctuation kept as tokens);
* character n-grams inside word boundaries (``char_wb``), which catch misspellings, obfuscations the
  normaliser missed and morphology (``idiots``, ``idiotic``).

Counts are damped with ``1 + log(count)`` before normalising. Hashing means there is no vocabulary to
store: the artifact only keeps the weights of the hashed columns the model uses.

``transform`` (a batch: training, evaluation, adaptation) goes through scikit-learn and scipy, whose
per-call overhead (input validation, building sparse matrices) is most of the time for one text.
``transform_one`` (a comment being posted) gives the same row from the same analyzers and the same
hashing function, aggregated in plain numpy; the tests check that both agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import repeat

import numpy as np
import scipy.sparse as sp

# What FeatureHasher.transform (and so HashingVectorizer.transform) calls to hash features: using it
# keeps the single-text path on exactly the batch path's columns (murmurhash3 and its sign handling).
from sklearn.feature_extraction._hashing_fast import transform as _hashing_transform
from sklearn.feature_extraction.text import HashingVectorizer

# Words (\w+) or single punctuation marks, so "!" and "?" count as tokens.
WORD_PATTERN = r"(?u)\b\w+\b|[^\w\s]"


@dataclass(frozen=True)
class FeatureConfig:
    word_ngram_min: int = 1
    word_ngram_max: int = 2
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    word_features: int = 2**20
    char_features: int = 2**20
    sublinear_tf: bool = True

    @property
    def n_features(self) -> int:
        return self.word_features + self.char_features

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings in artifact: {sorted(unknown)}")
        return cls(**data)


def _inverse_norms(squares: np.ndarray) -> np.ndarray:
    """The factor each row is multiplied by, from its sum of squares (1 for an empty row), as float32:
    shared by the batch and the single-text paths so both round alike."""
    norms = np.sqrt(squares, dtype=np.float64)
    norms[norms == 0.0] = 1.0
    return (1.0 / norms).astype(np.float32)


def _l2_normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    squares = matrix.multiply(matrix).sum(axis=1).A1
    matrix.data *= np.repeat(_inverse_norms(squares), np.diff(matrix.indptr))
    return matrix


def _l2_normalise(values: np.ndarray) -> np.ndarray:
    """One row's values (``_l2_normalise_rows`` for a single row, in place)."""
    values *= _inverse_norms(np.array([values @ values]))[0]
    return values


class Featurizer:
    """Maps a batch of *normalised* texts to a CSR matrix of shape (n, config.n_features), or one text to
    that matrix's row (``transform_one``)."""

    def __init__(self, config: FeatureConfig):
        self.config = config
        common = {"alternate_sign": False, "lowercase": False, "norm": None, "dtype": np.float32}
        self._word = HashingVectorizer(
            analyzer="word",
            token_pattern=WORD_PATTERN,
            ngram_range=(config.word_ngram_min, config.word_ngram_max),
            n_features=config.word_features,
            **common,
        )
        self._char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(config.char_ngram_min, config.char_ngram_max),
            n_features=config.char_features,
            **common,
        )
        # The vectorizers' own analyzers, built once (transform builds them on every call), and where
        # each block's columns start in the side-by-side matrix.
        self._analyzers = (
            (self._word.build_analyzer(), self._word, 0),
            (self._char.build_analyzer(), self._char, config.word_features),
        )

    def _block(self, vectorizer: HashingVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
        matrix = vectorizer.transform(texts).tocsr()
        matrix.sum_duplicates()
        if self.config.sublinear_tf:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        return _l2_normalise_rows(matrix)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        word = self._block(self._word, texts)
        char = self._block(self._char, texts)
        return sp.hstack([word, char], format="csr", dtype=np.float32)

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The row ``transform([text])`` gives, as its sorted columns (int64) and values (float32),
        without building any sparse matrix.

        Each feature is hashed by scikit-learn's own hashing loop with a value of 1 (the vectorizers
        do not alternate signs), so a column's count is how often its index comes back."""
        columns, values = [], []
        for analyzer, vectorizer, offset in self._analyzers:
            indices = _hashing_transform(
                [zip(analyzer(text), repeat(1))], vectorizer.n_features, np.float32, False, seed=0
            )[0]
            block, counts = np.unique(indices, return_counts=True)
            data = counts.astype(np.float32)
            if self.config.sublinear_tf:
                np.log(data, out=data)
                data += np.float32(1.0)
            columns.append(block.astype(np.int64) + offset)
            values.append(_l2_normalise(data))
        return np.concatenate(columns), np.concatenate(values)


# alt-profanity-check's tokens: scikit-learn's default word pattern on lower-cased text.
VOCABULARY_TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


class VocabularyScorer:
    """A linear model over TF-IDF unigrams of a fixed vocabulary: alt-profanity-check's, read into the
    artifact at training time (its vocabulary, IDF weights and the mean of its five linear SVMs), so
    scoring needs neither the package nor a pickle.

    ``decision_function`` equals the mean ``decision_function`` of the package's SVMs: raw counts of
    the words in the vocabulary, times IDF, L2-normalised, dotted with the weights.
    """

    def __init__(self, tokens: Sequence[str], idf: np.ndarray, weights: np.ndarray, bias: float):
        self.index = {token: i for i, token in enumerate(tokens)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bias = float(bias)

    def _indices(self, text: str) -> list[int]:
        """The vocabulary index of each token of ``text`` that is in the vocabulary, repeats included."""
        found = [self.index.get(t) for t in VOCABULARY_TOKEN_PATTERN.findall(text.lower())]
        return [i for i in found if i is not None]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr, indices = [0], list[int]()
        for text in texts:
            indices.extend(self._indices(text))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(texts), len(self.idf)))
        matrix.sum_duplicates()
        matrix = matrix @ sp.diags(self.idf)
        return _l2_normalise_rows(sp.csr_matrix(matrix))

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.transform(texts) @ self.weights).ravel() + self.bias

    def decision_function_one(self, text: str) -> float:
        """``decision_function([text])[0]`` in plain numpy (no sparse matrices)."""
        indices, counts = np.unique(np.array(self._indices(text), dtype=np.int64), return_counts=True)
        values = _l2_normalise(counts * self.idf[indices])
        return float(values @ self.weights[indices]) + self.bias
