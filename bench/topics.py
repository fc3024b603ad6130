"""Topic extraction speed on ONE core, for 600-word articles.

    .venv/bin/python bench/topics.py                 # 200 articles, on the last usable core
    .venv/bin/python bench/topics.py --articles 500 --core 0

The process is pinned to one core (sched_setaffinity) with every numeric library on one thread.
Articles are ~600 words each, built from the paragraphs of the hand-labelled articles
(articles/topics/evaluation/articles.json: news prose, dense with names, as the site ingests) and
given headlines from the same set.  Measured in the same run, on the same texts:

* extraction: articles.topics.extraction.Extractor.extract, what ingestion and the admin run
  (spaCy's named-entity recogniser, the EntityRuler, the subject matcher, normalisation, salience);
* baseline: spaCy's whole en_core_web_sm pipeline (tagger, parser, lemmatiser, NER: what
  `spacy.load` gives by default) on the same text, without any of our work.

Figures: articles per second by wall clock and by the process's CPU time (on a machine shared with
other work the CPU-time rate is what one core delivers; the wall-clock rate is what this run got).
The target is 20 articles/s.  Nothing here touches a database.
"""

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[name] = "1"  # before numpy (through spaCy) is imported

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")

import django  # noqa: E402

django.setup()

import spacy  # noqa: E402

from articles.ingest.wire import parse_wire  # noqa: E402
from articles.topics.aliases import shipped_table  # noqa: E402
from articles.topics.evaluation import read_labelled  # noqa: E402
from articles.topics.extraction import MODEL_PACKAGE, Extractor, article_segments  # noqa: E402

TARGET_PER_SECOND = 20.0
WORDS = 600
SEED = REPO_ROOT.parent / "shared" / "seed" / "article-page.txt"


def machine(core: int) -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "unknown",
    )  # fmt: skip
    return [
        f"cpu: {cpu}; pinned to core {core} of {os.cpu_count()}",
        f"python {platform.python_version()}, spaCy {spacy.__version__}, model {MODEL_PACKAGE}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


def build_articles(count: int, seed: int) -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) of about WORDS words each, from the labelled articles' prose."""
    labelled = read_labelled()
    paragraphs = [p for article in labelled for p in article["body"]]
    headlines = [article["headline"] for article in labelled]
    rng = random.Random(seed)
    articles = []
    for _ in range(count):
        body: list[str] = []
        while sum(len(p.split()) for p in body) < WORDS:
            body.append(rng.choice(paragraphs))
        articles.append((rng.choice(headlines), body))
    return articles


def timed(work, articles: list[tuple[str, list[str]]]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to run `work` on every article."""
    wall, cpu = time.perf_counter(), time.process_time()
    for headline, body in articles:
        work(headline, body)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--core", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    for line in machine(args.core):
        print(line)

    articles = build_articles(args.articles, args.seed)
    words = sum(len(h.split()) + sum(len(p.split()) for p in body) for h, body in articles) / len(articles)
    extractor = Extractor(shipped_table())
    whole_pipeline = spacy.load(MODEL_PACKAGE)

    def extract(headline: str, body: list[str]) -> None:
        extractor.extract(article_segments(headline, "", body))

    def baseline(headline: str, body: list[str]) -> None:
        whole_pipeline("\n\n".join([headline, *body]))

    for work in (extract, baseline):  # warm up: first calls allocate
        timed(work, articles[:5])
    results = {
        "extraction": timed(extract, articles),
        "baseline (whole spaCy pipeline)": timed(baseline, articles),
    }

    print(f"\n{len(articles)} articles of {words:.0f} words on average")
    print(f"{'':34} {'articles/s (wall)':>18} {'articles/s (CPU)':>17} {'ms/article (CPU)':>17}")
    for name, (wall, cpu) in results.items():
        rates = f"{len(articles) / wall:18.1f} {len(articles) / cpu:17.1f} {cpu / len(articles) * 1000:17.1f}"
        print(f"{name:34} {rates}")
    wall, cpu = results["extraction"]
    verdict = "met" if len(articles) / cpu >= TARGET_PER_SECOND else "MISSED"
    print(f"\ntarget {TARGET_PER_SECOND:.0f} articles/s on one core: {verdict} by CPU time "
          f"({len(articles) / cpu:.1f}/s); wall clock {len(articles) / wall:.1f}/s")  # fmt: skip
    if SEED.exists():  # what the shared seed page gets, when the shared data is there
        data = parse_wire(SEED.read_text(encoding="utf-8"), str(SEED))
        texts = [b.text for b in data.blocks if b.text]
        topics = extractor.extract(article_segments(data.headline, data.standfirst, texts))
        print("seed page topics:", json.dumps([f"{t.name} ({t.kind}, {t.salience:.2f})" for t in topics]))


if __name__ == "__main__":
    main()
