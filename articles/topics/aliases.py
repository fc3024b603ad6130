"""The alias table: which names mean the same topic, and what kind of topic it is.

The shipped part (gazetteer.json) knows well-known people, places and organisations with the other
names copy uses for them ("Erdogan", "EU", demonyms such as "Syrian" for Syria) and the country a
place lies in (Idlib is in Syria), a controlled
vocabulary of subjects with the phrases that signal each, office titles and roles, speech verbs,
and words that are never topics.  Editors extend it: every TopicAlias row (added by hand, or left
by a merge or a rename) is added on top, and wins over the shipped entry with the same key.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils.text import slugify

GAZETTEER_FILE = Path(__file__).resolve().parent / "gazetteer.json"
KEY_MAX = 80
PERSON, PLACE, ORGANISATION, SUBJECT = "person", "place", "organisation", "subject"
KINDS = (PERSON, PLACE, ORGANISATION, SUBJECT)


def alias_key(name: str) -> str:
    """The form names are compared in: case, accents and punctuation folded ("Erdoğan" = "erdogan").

    The same as a topic's slug, so a name finds its topic by slug or by alias with one key.
    """
    return slugify(name)[:KEY_MAX].strip("-")


@dataclass(frozen=True)
class Entry:
    """A topic the table knows: its canonical name and kind, and for a place, the country it is in."""

    name: str
    kind: str
    within: str = ""


@dataclass(frozen=True)
class AliasTable:
    entities: dict[str, Entry]  # alias key (of every name and alias) -> entry
    surfaces: dict[str, Entry]  # the exact names and aliases, as copy writes them -> entry
    subjects: dict[str, tuple[str, ...]]  # subject name -> phrases that signal it (lower case)
    titles: frozenset[str] = field(default_factory=frozenset)  # offices and roles, lower case
    speech_verbs: frozenset[str] = field(default_factory=frozenset)  # "said": a quoted person
    never: frozenset[str] = field(default_factory=frozenset)  # alias keys that are never topics

    def lookup(self, name: str) -> Entry | None:
        return self.entities.get(alias_key(name))

    def is_never_a_topic(self, name: str) -> bool:
        return alias_key(name) in self.never

    def with_aliases(self, aliases: Iterable[tuple[str, str, str]]) -> "AliasTable":
        """This table plus editors' aliases: (alias, topic name, topic kind) each.

        An alias of a subject adds a phrase signalling it; any other alias names an entity.
        """
        entities, surfaces = dict(self.entities), dict(self.surfaces)
        subjects = {name: list(phrases) for name, phrases in self.subjects.items()}
        for alias, topic_name, kind in aliases:
            entry = Entry(topic_name, kind)
            entities[alias_key(alias)] = entry
            entities.setdefault(alias_key(topic_name), entry)
            if kind == SUBJECT:
                subjects.setdefault(topic_name, []).append(alias.lower())
            else:
                surfaces[alias] = entry
        return AliasTable(
            entities=entities,
            surfaces=surfaces,
            subjects={name: tuple(phrases) for name, phrases in subjects.items()},
            titles=self.titles,
            speech_verbs=self.speech_verbs,
            never=self.never,
        )


def read_table(path: Path = GAZETTEER_FILE) -> AliasTable:
    data = json.loads(path.read_text(encoding="utf-8"))
    entities: dict[str, Entry] = {}
    surfaces: dict[str, Entry] = {}
    for item in data["entities"]:
        if item["kind"] not in KINDS:
            raise ValueError(f"{path}: {item['name']!r} has an unknown kind {item['kind']!r}")
        entry = Entry(item["name"], item["kind"], item.get("within", ""))
        for name in [item["name"], *item["aliases"]]:
            entities[alias_key(name)] = entry
            surfaces[name] = entry
    subjects = {item["name"]: tuple(p.lower() for p in item["phrases"]) for item in data["subjects"]}
    for name in subjects:
        entities.setdefault(alias_key(name), Entry(name, SUBJECT))
    return AliasTable(
        entities=entities,
        surfaces=surfaces,
        subjects=subjects,
        titles=frozenset(title.lower() for title in data["titles"]),
        speech_verbs=frozenset(data["speech_verbs"]),
        never=frozenset(alias_key(word) for word in data["never_topics"]),
    )


@cache
def shipped_table() -> AliasTable:
    """The table as shipped in gazetteer.json (read once per process)."""
    return read_table()
