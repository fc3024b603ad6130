"""Turning normalised comments into sparse feature vectors (shared by training and inference).

Two hashed bags, each L2-normalised on its own and then put side by side:

* words and word pairs (unigrams + bigrams, punctuation kept as tokens);
* character n-grams inside word boundaries (``char_wb``), which catch misspellings, obfuscations the
  normaliser missed and morphology (``idiots``, ``idiotic``).

Counts are damped with ``1 + log(count)`` before normalising. Hashing means there is no vocabulary to
store: the artifact only keeps the weights of the hashed columns the model uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
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


def _l2_normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    squares = matrix.multiply(matrix).sum(axis=1).A1
    norms = np.sqrt(squares, dtype=np.float64)
    norms[norms == 0.0] = 1.0
    scale = np.repeat((1.0 / norms).astype(np.float32), np.diff(matrix.indptr))
    matrix.data *= scale
    return matrix


class Featurizer:
    """Maps a batch of *normalised* texts to a CSR matrix of shape (n, config.n_features)."""

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

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr, indices = [0], list[int]()
        for text in texts:
            found = [self.index.get(t) for t in VOCABULARY_TOKEN_PATTERN.findall(text.lower())]
            indices.extend(i for i in found if i is not None)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(texts), len(self.idf)))
        matrix.sum_duplicates()
        matrix = matrix @ sp.diags(self.idf)
        return _l2_normalise_rows(sp.csr_matrix(matrix))

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.transform(texts) @ self.weights).ravel() + self.bias
