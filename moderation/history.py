"""Importing a publisher's past moderation decisions (``manage.py import_moderation_history FILE.csv``).

The file is a CSV (or gzip CSV) with ``text`` and ``label`` (1: the moderators took the comment down,
0: it stayed up) and optionally ``created`` (ISO 8601 date or date and time) and ``section``. Every row
is checked first; any bad row stops the import with an error per row (up to ``MAX_ERRORS``) and
nothing is written, so a file is imported whole or not at all. Rows become ``HistoryExample`` records,
the labelled examples ``moderation.adaptation`` learns from beside the moderators' own decisions.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from moderation.evaluation import EvaluationError, read_csv_text
from moderation.models import HistoryExample

MAX_ERRORS = 20
LABELS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1}
SECTION_MAX = HistoryExample._meta.get_field("section").max_length or 100


class HistoryError(ValueError):
    """The file cannot be imported; ``errors`` lists what is wrong, row by row."""

    def __init__(self, message: str, errors: list[str] | None = None):
        self.errors = errors or []
        super().__init__("\n".join([message, *self.errors]))


@dataclass
class Imported:
    rows: int
    taken_down: int
    batch: str


def _when(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(f"created {value!r} is not an ISO 8601 date (2024-05-31 or 2024-05-31T14:02:00)")
        moment = datetime(day.year, day.month, day.day)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _example(row: dict[str, str], batch: str) -> HistoryExample:
    text = (row.get("text") or "").strip()
    if not text:
        raise ValueError("text is empty")
    label = (row.get("label") or "").strip()
    if label not in LABELS:
        raise ValueError(f"label must be 0 or 1, got {label!r}")
    section = (row.get("section") or "").strip()
    if len(section) > SECTION_MAX:
        raise ValueError(f"section is longer than {SECTION_MAX} characters")
    return HistoryExample(
        text=text, label=LABELS[label], created=_when(row.get("created") or ""), section=section, batch=batch
    )


def read_history(path: Path, batch: str) -> list[HistoryExample]:
    """Every row of the file as an unsaved example; HistoryError listing the bad rows otherwise."""
    path = Path(path)
    if not path.is_file():
        raise HistoryError(f"history file not found: {path}")
    try:
        content = read_csv_text(path)
    except EvaluationError as exc:
        raise HistoryError(str(exc)) from exc
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(content, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in ("text", "label") if c not in columns]
    if missing:
        raise HistoryError(
            f"{path}: no {', '.join(map(repr, missing))} column (columns: {', '.join(columns) or 'none'})"
        )
    examples, errors = [], []
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        try:
            examples.append(_example(row, batch))
        except ValueError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        shown = errors[:MAX_ERRORS]
        more = len(errors) - len(shown)
        tail = [f"… and {more} more"] if more else []
        raise HistoryError(
            f"{path}: {len(errors)} bad rows, nothing imported; fix them and run it again:", shown + tail
        )
    if not examples:
        raise HistoryError(f"{path}: no rows to import")
    return examples


def import_history(path: Path) -> Imported:
    """Check the whole file, then store every row in one transaction."""
    batch = f"{Path(path).name} {timezone.now():%Y-%m-%d %H:%M:%S}"[:64]
    examples = read_history(path, batch)
    with transaction.atomic():
        HistoryExample.objects.bulk_create(examples, batch_size=1000)
    return Imported(len(examples), sum(e.label for e in examples), batch)
