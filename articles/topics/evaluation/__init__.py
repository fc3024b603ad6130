"""Precision and recall of topic extraction on hand-labelled articles (articles.json here).

A predicted topic is right when its name, compared as alias keys (case, accents and punctuation
folded), is one of the article's labelled topics; precision and recall are micro-averaged over all
articles, overall and per kind: precision per kind over the predictions of that kind, recall per
kind over the labels of that kind.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from articles.topics.aliases import KINDS, alias_key
from articles.topics.extraction import Extractor, article_segments

LABELLED_FILE = Path(__file__).resolve().parent / "articles.json"


@dataclass
class ArticleResult:
    headline: str
    predicted: list[str]
    labelled: list[str]
    right: list[str]
    wrong: list[str]  # predicted, not labelled
    missed: list[str]  # labelled, not predicted


@dataclass
class Report:
    articles: list[ArticleResult] = field(default_factory=list)
    predicted: Counter[str] = field(default_factory=Counter)  # by predicted kind
    correct: Counter[str] = field(default_factory=Counter)  # right predictions, by predicted kind
    labelled: Counter[str] = field(default_factory=Counter)  # by labelled kind
    found: Counter[str] = field(default_factory=Counter)  # labels predicted, by labelled kind

    @staticmethod
    def ratio(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    def precision(self, kind: str | None = None) -> float:
        if kind is None:
            return self.ratio(sum(self.correct.values()), sum(self.predicted.values()))
        return self.ratio(self.correct[kind], self.predicted[kind])

    def recall(self, kind: str | None = None) -> float:
        if kind is None:
            return self.ratio(sum(self.found.values()), sum(self.labelled.values()))
        return self.ratio(self.found[kind], self.labelled[kind])

    def as_dict(self) -> dict[str, object]:
        return {
            "articles": len(self.articles),
            "precision": round(self.precision(), 3),
            "recall": round(self.recall(), 3),
            "by_kind": {
                kind: {
                    "precision": round(self.precision(kind), 3),
                    "recall": round(self.recall(kind), 3),
                    "predicted": self.predicted[kind],
                    "labelled": self.labelled[kind],
                }
                for kind in KINDS
            },
            "per_article": [vars(result) for result in self.articles],
        }


def read_labelled(path: Path = LABELLED_FILE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["articles"]


def evaluate(extractor: Extractor, labelled: list[dict]) -> Report:
    report = Report()
    for item in labelled:
        segments = article_segments(item["headline"], item["standfirst"], item["body"])
        predicted = {alias_key(t.name): t for t in extractor.extract(segments)}
        gold = {alias_key(t["name"]): t for t in item["topics"]}
        for key, topic in predicted.items():
            report.predicted[topic.kind] += 1
            report.correct[topic.kind] += key in gold
        for key, label in gold.items():
            report.labelled[label["kind"]] += 1
            report.found[label["kind"]] += key in predicted
        names = {key: t.name for key, t in predicted.items()}
        report.articles.append(
            ArticleResult(
                headline=item["headline"],
                predicted=list(names.values()),
                labelled=[t["name"] for t in gold.values()],
                right=[names[k] for k in predicted if k in gold],
                wrong=[names[k] for k in predicted if k not in gold],
                missed=[gold[k]["name"] for k in gold if k not in predicted],
            )
        )
    return report
