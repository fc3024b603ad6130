"""Loading the moderation training data (``shared/data/moderation``, see its README.md).

What is used for training, and how:

* ``civil_comments_toxic_spans``: news-site comments, all positives; ``span_types`` give the
  category labels (insult, identity attack, profane/obscene, threat);
* ``wikipedia_talk_cat``, ``davidson_tweets``: no split column, so a fixed 10 % of each (by a CRC32
  of the text) is held out for validation;
* ``olid_offenseval2019``, ``hateval2019``: their own ``train``/``val`` splits; ``test`` is never read
  for training;
* ``civil_samples.txt`` beside this module: civil news comments and neutral news sentences written for
  Agora, used as negatives from the news domain (without them the model would learn "sounds like a news
  comment = toxic", since every Civil Comments row is positive); a third is held out as a check.

Never used for training: the Jigsaw-2018 test subset, HateCheck, any ``test`` split. Training rows whose
normalised text also occurs in one of those are dropped, so duplicates cannot leak test data.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from moderation.normalize import normalize

CATEGORIES = ("insult", "identity_attack", "obscene", "threat")
CIVIL_SAMPLES = Path(__file__).resolve().parent / "civil_samples.txt"

CIVIL_FILE = "civil_comments_toxic_spans.csv.gz"
WIKI_FILE = "wikipedia_talk_cat.csv.gz"
DAVIDSON_FILE = "davidson_tweets.csv.gz"
OLID_FILE = "olid_offenseval2019.csv.gz"
HATEVAL_FILE = "hateval2019.csv.gz"
JIGSAW_TEST_FILE = "jigsaw2018_STANDARD_TEST_SPLIT_toxic_subset.csv.gz"
HATECHECK_FILE = "hatecheck_functional_tests.csv.gz"
TRAINING_FILES = (CIVIL_FILE, WIKI_FILE, DAVIDSON_FILE, OLID_FILE, HATEVAL_FILE)
TEST_ONLY_FILES = (JIGSAW_TEST_FILE, HATECHECK_FILE)

_SPAN_TYPES = {
    "Insult": "insult",
    "Identity based Attack": "identity_attack",
    "Profane/Obscene": "obscene",
    "Threat": "threat",
}


@dataclass
class Example:
    text: str  # normalised
    label: int
    source: str
    split: str  # "train" or "val"
    # 1/0 per category where the source says; missing = unknown (not used for that head).
    categories: dict[str, int] = field(default_factory=dict)


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV or gzip CSV file as dicts."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    yield from csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))


def holdout_split(text: str, percent: int = 10) -> str:
    """A fixed train/val split for sources without one."""
    return "val" if zlib.crc32(text.encode("utf-8")) % 100 < percent else "train"


def read_civil_samples(path: Path = CIVIL_SAMPLES) -> list[tuple[str, str]]:
    """(raw sentence, split) for the hand-written civil sentences; a third ("val") is held out."""
    samples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            split = "val" if zlib.crc32(line.encode("utf-8")) % 3 == 0 else "train"
            samples.append((line, split))
    return samples


def _civil_categories(span_types: str) -> dict[str, int]:
    present = {part.strip() for part in (span_types or "").split("|")} - {"", "nan"}
    if not present:
        return {}  # toxic, but the raters marked no span type: unknown
    return {name: int(tag in present) for tag, name in _SPAN_TYPES.items()}


def _excluded_texts(data_dir: Path) -> set[str]:
    texts: set[str] = set()
    for name in TEST_ONLY_FILES:
        if (data_dir / name).exists():
            texts.update(normalize(row["text"]) for row in read_rows(data_dir / name))
    for name in (OLID_FILE, HATEVAL_FILE):
        texts.update(normalize(row["text"]) for row in read_rows(data_dir / name) if row["split"] == "test")
    return texts


def load_training_data(data_dir: Path) -> list[Example]:
    data_dir = Path(data_dir)
    missing = [name for name in TRAINING_FILES if not (data_dir / name).exists()]
    if missing:
        raise FileNotFoundError(f"missing in {data_dir}: {', '.join(missing)}")
    excluded = _excluded_texts(data_dir)
    clean = dict.fromkeys(CATEGORIES, 0)
    examples: list[Example] = []

    def add(text: str, label: int, source: str, split: str, categories: dict[str, int]) -> None:
        normalised = normalize(text)
        if not normalised or normalised in excluded:
            return
        examples.append(Example(normalised, label, source, split, clean if label == 0 else categories))

    for row in read_rows(data_dir / CIVIL_FILE):
        add(
            row["text"], 1, "civil_comments", holdout_split(row["text"]), _civil_categories(row["span_types"])
        )
    for row in read_rows(data_dir / WIKI_FILE):
        add(row["text"], int(row["label"]), "wikipedia_talk", holdout_split(row["text"]), {})
    for row in read_rows(data_dir / DAVIDSON_FILE):
        # Davidson class 0 = hate speech (against a group): an identity attack.
        hate = {"identity_attack": 1} if row["class"] == "0" else {}
        add(row["text"], int(row["label"]), "davidson", holdout_split(row["text"]), hate)
    for name, source, positive_categories in (
        (OLID_FILE, "olid", {}),
        (HATEVAL_FILE, "hateval", {"identity_attack": 1}),  # hate against immigrants and women
    ):
        for row in read_rows(data_dir / name):
            if row["split"] in ("train", "val"):
                add(row["text"], int(row["label"]), source, row["split"], positive_categories)
    for text, split in read_civil_samples():
        add(text, 0, "agora_civil", split, clean)
    return examples


def describe(examples: list[Example]) -> str:
    counts = Counter((ex.source, ex.split, ex.label) for ex in examples)
    lines = []
    for source in sorted({ex.source for ex in examples}):
        parts = [
            f"{split} {counts[(source, split, 1)]}+/{counts[(source, split, 0)]}-"
            for split in ("train", "val")
        ]
        lines.append(f"  {source:16s} " + ", ".join(parts))
    return "\n".join(lines)
