"""Loading the moderation training data (``shared/data/moderation``, see its README.md).

Each source labels one meaning, so each row carries a label only for the heads that meaning answers
(``None``: unknown, the row is not used for that head):

==========================  =====================================  ===================================
source (file)               ``toxicity``                           ``identity_attack``
==========================  =====================================  ===================================
civil_comments_toxic_spans  1 (news comments, all toxic)           1 with an "Identity based Attack"
                                                                   span, 0 with other span types
wikipedia_talk_cat          the crowd's toxic label                -
jigsaw2018_sample5k         Jigsaw ``toxic`` (train sample)        -
davidson_tweets             offensive or hate                      hate speech 1; offensive/neither 0
olid_offenseval2019         offensive (train/val splits)           -
kaggle_insults_impermium    insult aimed at a participant          -
                            (train; its verification split is
                            validation; its test split: never)
paradetox_pairs             toxic original 1, civil rewrite 0      -
                            (down-weighted)
hateval2019                 -                                      hate against immigrants or women
stormfront_hate_posts       -                                      a hate sentence in the post
civil_samples.txt (ours)    0                                      0
==========================  =====================================  ===================================

``insult``, ``obscene`` and ``threat`` come from Civil Comments' span types (and ``identity_attack``'s
positives), with the clean rows of every source as negatives.

Splits: a source's own ``train``/``val`` where it has them (OLID, HatEval; Kaggle's verification
split is our validation); otherwise a fixed ``VAL_PERCENT`` of rows by a CRC32 of the text (of the
pair id for ParaDetox, so both sides of a pair fall in the same split). Validation rows fit the
stacker, the calibration and the threshold tables, never the linear models.

Never trained on: the files the README marks *evaluate only* (UCC, SFU Globe and Mail, ETHOS,
YouToxic), the Jigsaw-2018 test subset, HateCheck, any ``test`` split, and the texts listed in
``private_eval_exclusions.sha256``. A training row is dropped when its letters-and-digits form
equals that of any of those texts, or its SHA-256 is in the exclusion list.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from moderation.normalize import normalize

CATEGORIES = ("insult", "identity_attack", "obscene", "threat")
CIVIL_SAMPLES = Path(__file__).resolve().parent / "civil_samples.txt"
EXCLUSIONS_FILE = "private_eval_exclusions.sha256"
VAL_PERCENT = 15

CIVIL_FILE = "civil_comments_toxic_spans.csv.gz"
WIKI_FILE = "wikipedia_talk_cat.csv.gz"
JIGSAW_SAMPLE_FILE = "jigsaw2018_sample5k_wikipedia_talk.csv.gz"
DAVIDSON_FILE = "davidson_tweets.csv.gz"
OLID_FILE = "olid_offenseval2019.csv.gz"
HATEVAL_FILE = "hateval2019.csv.gz"
KAGGLE_FILE = "kaggle_insults_impermium.csv.gz"
STORMFRONT_FILE = "stormfront_hate_posts.csv.gz"
PARADETOX_FILE = "paradetox_pairs.csv.gz"
JIGSAW_TEST_FILE = "jigsaw2018_STANDARD_TEST_SPLIT_toxic_subset.csv.gz"
HATECHECK_FILE = "hatecheck_functional_tests.csv.gz"
UCC_FILE = "unhealthy_comments_ucc_val_test.csv.gz"
SFU_FILE = "sfu_constructiveness_toxicity_globe_and_mail.csv.gz"
ETHOS_FILE = "ethos_binary.csv.gz"
YOUTOXIC_FILE = "youtoxic_youtube_ferguson.csv.gz"

TRAINING_FILES = (
    CIVIL_FILE,
    WIKI_FILE,
    JIGSAW_SAMPLE_FILE,
    DAVIDSON_FILE,
    OLID_FILE,
    HATEVAL_FILE,
    KAGGLE_FILE,
    STORMFRONT_FILE,
    PARADETOX_FILE,
)
# Read only to keep their texts out of training.
TEST_ONLY_FILES = (JIGSAW_TEST_FILE, HATECHECK_FILE)
EVALUATE_ONLY_FILES = (UCC_FILE, SFU_FILE, ETHOS_FILE, YOUTOXIC_FILE)

_SPAN_TYPES = {
    "Insult": "insult",
    "Identity based Attack": "identity_attack",
    "Profane/Obscene": "obscene",
    "Threat": "threat",
}
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass
class Example:
    text: str  # normalised
    source: str
    split: str  # "train" or "val"
    # Per head: 1/0 where the source labels that meaning; absent = unknown (not used for that head).
    labels: dict[str, int] = field(default_factory=dict)
    raw: str = ""  # the text as written (alt-profanity-check's vocabulary reads it so)

    @property
    def label(self) -> int | None:
        return self.labels.get("toxicity")


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV or gzip CSV file as dicts."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    yield from csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))


def holdout_split(key: str, percent: int = VAL_PERCENT) -> str:
    """A fixed train/val split for sources without one."""
    return "val" if zlib.crc32(key.encode("utf-8")) % 100 < percent else "train"


def letters_and_digits(text: str) -> str:
    """The form overlaps are checked on (as the data's build scripts do)."""
    return _NOT_ALNUM.sub("", text.lower())


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


def _never_train_on(data_dir: Path) -> tuple[set[str], set[str]]:
    """(letters-and-digits forms of every test and evaluate-only text, SHA-256s of excluded texts)."""
    forms: set[str] = set()
    for name in TEST_ONLY_FILES + EVALUATE_ONLY_FILES:
        if (data_dir / name).exists():
            forms.update(letters_and_digits(row["text"]) for row in read_rows(data_dir / name))
    for name in (OLID_FILE, HATEVAL_FILE, KAGGLE_FILE):
        forms.update(
            letters_and_digits(r["text"]) for r in read_rows(data_dir / name) if r["split"] == "test"
        )
    exclusions = data_dir / EXCLUSIONS_FILE
    hashes = set(exclusions.read_text().split()) if exclusions.exists() else set()
    return forms, hashes


class _Collector:
    """Normalises and keeps the rows that may be trained on."""

    def __init__(self, data_dir: Path):
        self.forms, self.hashes = _never_train_on(data_dir)
        self.examples: list[Example] = []
        self.dropped = 0

    def add(self, text: str, source: str, split: str, labels: dict[str, int]) -> None:
        form = letters_and_digits(text)
        if not form or form in self.forms or hashlib.sha256(form.encode()).hexdigest() in self.hashes:
            self.dropped += 1
            return
        normalised = normalize(text)
        if normalised:
            self.examples.append(Example(normalised, source, split, labels, text))


def _clean(**labels: int) -> dict[str, int]:
    """Labels of a clean row: 0 for every category head too."""
    return {**dict.fromkeys(CATEGORIES, 0), **labels}


def _add_toxicity_sources(collect: _Collector, data_dir: Path) -> None:
    for row in read_rows(data_dir / CIVIL_FILE):
        labels = {"toxicity": 1, **_civil_categories(row["span_types"])}
        collect.add(row["text"], "civil_comments", holdout_split(row["text"]), labels)
    for name, source in ((WIKI_FILE, "wikipedia_talk"), (JIGSAW_SAMPLE_FILE, "jigsaw_sample")):
        for row in read_rows(data_dir / name):
            label = int(row["label"])
            labels = {"toxicity": 1} if label else _clean(toxicity=0)
            collect.add(row["text"], source, holdout_split(row["text"]), labels)
    for row in read_rows(data_dir / DAVIDSON_FILE):
        label, hate = int(row["label"]), int(row["class"] == "0")
        labels = {"toxicity": 1, "identity_attack": hate} if label else _clean(toxicity=0)
        collect.add(row["text"], "davidson", holdout_split(row["text"]), labels)
    for row in read_rows(data_dir / OLID_FILE):
        if row["split"] in ("train", "val"):
            label = int(row["label"])
            collect.add(row["text"], "olid", row["split"], {"toxicity": 1} if label else _clean(toxicity=0))
    kaggle_splits = {"train": "train", "verification": "val"}
    for row in read_rows(data_dir / KAGGLE_FILE):
        if row["split"] in kaggle_splits:
            # Its 0s include untargeted profanity: not clean for the category heads.
            collect.add(row["text"], "kaggle", kaggle_splits[row["split"]], {"toxicity": int(row["label"])})
    for row in read_rows(data_dir / PARADETOX_FILE):
        label = int(row["label"])
        labels = {"toxicity": 1} if label else _clean(toxicity=0)
        collect.add(row["text"], "paradetox", holdout_split(row["pair_id"]), labels)


def _add_hate_sources(collect: _Collector, data_dir: Path) -> None:
    for row in read_rows(data_dir / HATEVAL_FILE):
        if row["split"] in ("train", "val"):
            collect.add(row["text"], "hateval", row["split"], {"identity_attack": int(row["label"])})
    for row in read_rows(data_dir / STORMFRONT_FILE):
        label = int(row["label"])
        collect.add(row["text"], "stormfront", holdout_split(row["text"]), {"identity_attack": label})


def load_training_data(data_dir: Path) -> list[Example]:
    data_dir = Path(data_dir)
    missing = [name for name in TRAINING_FILES if not (data_dir / name).exists()]
    if missing:
        raise FileNotFoundError(f"missing in {data_dir}: {', '.join(missing)}")
    collect = _Collector(data_dir)
    _add_toxicity_sources(collect, data_dir)
    _add_hate_sources(collect, data_dir)
    for text, split in read_civil_samples():
        collect.add(text, "agora_civil", split, _clean(toxicity=0, identity_attack=0))
    return collect.examples
