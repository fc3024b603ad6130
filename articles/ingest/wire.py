"""Plain-text wire copy to an article.

The shape we read (the one agencies and copy-paste from a news page produce):

* the first non-empty line is the headline;
* lines right under it may give a read time ("·3-min read", "3 min read": dropped, since
  reading time is recomputed from the body), a byline ("By Ana Lind, AFP") or an agency name;
* the body follows, in paragraphs separated by blank lines, or flattened onto one line;
* AFP subheads are written "- Establish a corridor -", on their own line or inline in flattened
  text, and become subhead blocks that split the paragraphs around them;
* photo and map captions trail the last paragraph, as paragraphs of their own or glued onto
  the last sentence, and become caption-only figure blocks;
* the copied page's own footer (comment notices, newsletter prompts, copyright) may follow
  and is dropped.

Heuristics, in the order they run:

1. Boilerplate, from the end backwards: a paragraph of at most 60 words whose last sentence
   matches BOILERPLATE is a footer and is dropped whole (a notice and its lead-in, like "Our
   goal is ... we are suspending commenting"); in the last paragraph of the body proper, only
   the matching sentences at its end are dropped (a footer flattened onto the text).
2. Captions, from the end of the body backwards (after the last subhead only):
   a whole paragraph of at most 60 words that starts with a caption opener ("Map of",
   "Graphic showing", "Photo:" ...) or lacks terminal punctuation is a caption; then, inside
   the last paragraph, a caption opener glued onto the text before it starts a caption
   running to the end, and a final run of 3-60 words after the last full stop that has no
   terminal punctuation of its own is a caption too (a caption is a label, not a sentence).
3. Standfirst: wire copy has none, so the first sentence of the body becomes it (and leaves
   the body, which it would only repeat), without its dateline ("PORT AUREN (AFP) -"), when it
   is a whole sentence of 8-60 words and body text remains.
4. Readable paragraphs: a paragraph of more than 4 sentences and 100 words (a flattened
   body) is regrouped into paragraphs of up to 3 sentences, closing a paragraph early once
   it reaches 70 words.  Sentences never end inside a double-quoted passage, after a common
   abbreviation ("Gen.", "Dec.") or after an initial ("John F. Kennedy").
5. Agency: a byline or agency line, else a dateline ("DAMASCUS (AFP) -"), else the house
   style: copy with dash-delimited subheads ("- Establish a corridor -") is AFP's, the only
   agency that writes them so.  `ingest --agency` overrides all three.
"""

import re
from dataclasses import dataclass

from articles.ingest.sources import IngestError
from articles.models import Article, ArticleBlock
from articles.services import ArticleData, BlockData

HEADLINE_MAX = 300
CAPTION_MIN_WORDS = 3
CAPTION_MAX_WORDS = 60
BOILERPLATE_MAX_WORDS = 60
FLATTENED_MIN_SENTENCES = 5
STANDFIRST_MIN_WORDS = 8
STANDFIRST_MAX_WORDS = 60
FLATTENED_MIN_WORDS = 100
PARAGRAPH_SENTENCES = 3
PARAGRAPH_WORDS = 70


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


AGENCIES = {
    "afp": "AFP",
    "agence france-presse": "AFP",
    "reuters": "Reuters",
    "ap": "AP",
    "associated press": "AP",
}
_AGENCY = r"(?:AFP|Agence France-Presse|Reuters|AP|Associated Press)"
_READ_TIME = re.compile(
    r"^\W*(?:\d+\s*-?\s*min(?:ute)?s?\.?\s*read|reading time:?\s*\d+\s*min(?:ute)?s?)\W*$", re.IGNORECASE
)
_BYLINE = re.compile(rf"^By\s+(?P<name>[^,()/]+?)(?:\s*[,(/]\s*(?P<agency>{_AGENCY})\)?)?$")
_NAME_PARTICLES = _words("and de del della van von der den al el bin ibn la le du da dos")
_AGENCY_LINE = re.compile(rf"^[-–—(]*\s*(?P<agency>{_AGENCY})\s*\)?$")
_DATELINE = re.compile(rf"\((?P<agency>{_AGENCY})\)\s*[-–—]")
_DATELINE_PREFIX = re.compile(r"^[A-Z][A-Z .,'’-]+(?:\([^)]*\))?\s*[-–—]+\s+")
_SUBHEAD_LINE = re.compile(r"^[-–—]\s+(?P<text>\S.{0,80}?)\s+[-–—]$")
_INLINE_SUBHEAD = re.compile(
    r"(?<=[.!?\"”’'])\s+-\s+(?P<text>[A-Z0-9\"'‘“][^.!?\n]{0,78}?)\s+-\s+(?=[A-Z0-9\"'‘“(])"
)
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_CAPTION_OPENER = (
    r"(?:(?:Map|Graphic|Chart|Infographic|Diagram)\s+(?:of|showing|shows|on|locating|charting)\b"
    r"|(?:Photo|Picture|Image|Graphic|Map|Chart)\s*:)"
)
_STARTS_WITH_OPENER = re.compile(_CAPTION_OPENER)
_GLUED_OPENER = re.compile(rf"(?<=[\w.!?\"”’)])\s+(?={_CAPTION_OPENER})")
_ABBREVIATIONS = _words(
    "mr mrs ms dr prof st gen col lt sgt capt cmdr adm gov sen rep rev jr sr no vs inc ltd co "
    "corp mt ft jan feb mar apr jun jul aug sep sept oct nov dec"
)
_INITIALS = re.compile(r"^(?:[A-Z]|(?:[A-Za-z]\.)+[A-Za-z])$")
BOILERPLATE = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bcomments? (?:section )?(?:is|are|ha(?:s|ve) been) (?:now )?(?:closed|disabled|suspended|off)\b",
        r"\bcommenting\b.*\b(?:suspended|closed|disabled|unavailable|paused)\b",
        r"\b(?:suspend|disabl|paus)\w* (?:the |all )?(?:article |reader )?comment(?:s|ing)\b",
        r"\bcommunity (?:guidelines|standards|experience)\b",
        r"\b(?:create|provide|build|keep)\b.{0,40}\b(?:safe|respectful|civil)\b.{0,30}\b(?:place|space)\b",
        r"\b(?:sign up|subscribe)\b.*\bnewsletters?\b",
        r"^(?:read more|related|more on this story|recommended)\b",
        r"^(?:©|\(c\)\s|copyright\b)|\ball rights reserved\b",
        r"^(?:share this|follow us|click here|tap here)\b",
        r"^\(?(?:reporting|writing|editing|additional reporting) by\b",
        rf"^[-–—]*\s*{_AGENCY}\s*$",
    )
]

# A body item before it becomes a block: (kind, text), kind a paragraph or a subhead.
Item = tuple[str, str]
PARAGRAPH = ArticleBlock.Kind.PARAGRAPH.value
SUBHEAD = ArticleBlock.Kind.SUBHEAD.value


@dataclass
class Header:
    byline: str = ""
    agency: str = ""


def parse_wire(text: str, source: str) -> ArticleData:
    """Wire copy to ArticleData; `source` names the file or URL in error messages."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headline, rest = split_headline(lines, source)
    header, body_lines = read_header(rest)
    items = drop_trailing_boilerplate(body_items(body_lines))
    items, captions = take_trailing_captions(items)
    if not any(kind == PARAGRAPH for kind, _ in items):
        raise IngestError(source, "no body text under the headline")
    agency = (
        header.agency or detect_agency(" ".join(body for _, body in items[:2])) or house_style_agency(items)
    )
    standfirst, items = take_standfirst(items)
    items = [piece for item in items for piece in readable_paragraphs(item)]
    blocks = [BlockData(kind, text=body) for kind, body in items]
    blocks += [BlockData(ArticleBlock.Kind.FIGURE, caption=caption) for caption in captions]
    return ArticleData(
        headline=headline,
        standfirst=standfirst,
        blocks=blocks,
        byline=header.byline,
        source=agency,
        origin=Article.Origin.WIRE,
    )


def split_headline(lines: list[str], source: str) -> tuple[str, list[str]]:
    for index, line in enumerate(lines):
        headline = " ".join(line.split())
        if not headline:
            continue
        if len(headline) > HEADLINE_MAX:
            raise IngestError(
                source,
                f"the first line should be the headline but is {len(headline)} characters long "
                f"(the limit is {HEADLINE_MAX}); put the headline on a line of its own",
            )
        return headline, lines[index + 1 :]
    raise IngestError(source, "the file is empty")


def read_header(lines: list[str]) -> tuple[Header, list[str]]:
    """Consume the read-time, byline and agency lines between the headline and the body."""
    header = Header()
    for index, line in enumerate(lines):
        line = line.strip()
        if not line or _READ_TIME.match(line):
            continue
        byline = _BYLINE.match(line)
        if byline and looks_like_names(byline["name"]):
            header.byline = byline["name"].strip()
            header.agency = normalise_agency(byline["agency"]) or header.agency
        elif agency := _AGENCY_LINE.match(line):
            header.agency = normalise_agency(agency["agency"])
        else:
            return header, lines[index:]
    return header, []


def looks_like_names(text: str) -> bool:
    """ "Ana Lind and Tom de Vries" is a byline; "the time the rebels arrived" is not."""
    words = text.split()
    return 0 < len(words) <= 8 and all(w[0].isupper() or w in _NAME_PARTICLES for w in words)


def normalise_agency(name: str | None) -> str:
    return AGENCIES.get(name.lower(), name) if name else ""


def detect_agency(text: str) -> str:
    """The agency a dateline credits, as in "DAMASCUS (AFP) - ..."; blank when none does."""
    match = _DATELINE.search(text)
    return normalise_agency(match["agency"]) if match else ""


def house_style_agency(items: list[Item]) -> str:
    """AFP writes subheads between dashes, which is how wire copy gets subheads here at all."""
    return "AFP" if any(kind == SUBHEAD for kind, _ in items) else ""


def take_standfirst(items: list[Item]) -> tuple[str, list[Item]]:
    """The body's first sentence as the standfirst, and the body without it (see module docstring)."""
    if not items or items[0][0] != PARAGRAPH:
        return "", items
    first, *rest = split_sentences(items[0][1])
    first = _DATELINE_PREFIX.sub("", first)
    remaining = ([(PARAGRAPH, " ".join(rest))] if rest else []) + items[1:]
    fits = STANDFIRST_MIN_WORDS <= word_count(first) <= STANDFIRST_MAX_WORDS and _TERMINAL.search(first)
    if not fits or not any(kind == PARAGRAPH for kind, _ in remaining):
        return "", items
    return first, remaining


def body_items(lines: list[str]) -> list[Item]:
    """Paragraphs (blank-line separated) and subheads, with inline subheads split out."""
    items: list[Item] = []
    for paragraph in split_paragraphs(lines):
        subhead = _SUBHEAD_LINE.match(paragraph)
        if subhead:
            items.append((SUBHEAD, subhead["text"].strip()))
        else:
            items.extend(split_inline_subheads(paragraph))
    return items


def split_paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, unwrapping hard-wrapped lines.

    A run of lines that all end a sentence is one paragraph per line (copy with no blank
    lines); a subhead line stands alone and a read-time line is dropped.
    """
    paragraphs: list[str] = []
    run: list[str] = []
    for line in [*(line.strip() for line in lines), ""]:
        if line and not _SUBHEAD_LINE.match(line) and not _READ_TIME.match(line):
            run.append(" ".join(line.split()))
            continue
        if all(_TERMINAL.search(part) for part in run):
            paragraphs.extend(run)
        elif run:
            paragraphs.append(" ".join(run))
        run = []
        if line and _SUBHEAD_LINE.match(line):
            paragraphs.append(line)
    return paragraphs


def split_inline_subheads(paragraph: str) -> list[Item]:
    """Split "... crisis." - Establish a corridor - In 2015 ..." around its subhead."""
    items: list[Item] = []
    start = 0
    for match in _INLINE_SUBHEAD.finditer(paragraph):
        items.append((PARAGRAPH, paragraph[start : match.start()].strip()))
        items.append((SUBHEAD, match["text"].strip()))
        start = match.end()
    items.append((PARAGRAPH, paragraph[start:].strip()))
    return [(kind, text) for kind, text in items if text]


def word_count(text: str) -> int:
    return len(text.split())


def is_boilerplate(text: str) -> bool:
    return word_count(text) <= BOILERPLATE_MAX_WORDS and any(p.search(text) for p in BOILERPLATE)


def drop_trailing_boilerplate(items: list[Item]) -> list[Item]:
    """Drop the copied page's footer from the end of the body (see module docstring)."""
    items = list(items)
    while items and items[-1][0] == PARAGRAPH:
        paragraph = items[-1][1]
        sentences = split_sentences(paragraph)
        if not is_boilerplate(sentences[-1]):
            break
        if len(items) > 1 and word_count(paragraph) <= BOILERPLATE_MAX_WORDS:
            items.pop()  # a footer paragraph: the notice and its lead-in
            continue
        while sentences and is_boilerplate(sentences[-1]):
            sentences.pop()
        if sentences:
            items[-1] = (PARAGRAPH, " ".join(sentences))
            break
        items.pop()
    return items


def is_caption(text: str) -> bool:
    """A short label that opens like a caption or does not end like a sentence."""
    words = word_count(text)
    if not CAPTION_MIN_WORDS <= words <= CAPTION_MAX_WORDS:
        return False
    return bool(_STARTS_WITH_OPENER.match(text)) or not _TERMINAL.search(text)


def take_trailing_captions(items: list[Item]) -> tuple[list[Item], list[str]]:
    """Remove the captions that trail the body; return the body and the captions in order."""
    items = list(items)
    captions: list[str] = []
    while len(items) > 1 and items[-1][0] == PARAGRAPH and is_caption(items[-1][1]):
        captions.insert(0, items.pop()[1])
    if items and items[-1][0] == PARAGRAPH:
        body, glued = peel_glued_captions(items[-1][1])
        if glued and body:
            items[-1] = (PARAGRAPH, body)
            captions[:0] = glued
    return items, captions


def peel_glued_captions(text: str) -> tuple[str, list[str]]:
    """Split captions glued onto the end of a paragraph, as copy-paste from a page leaves them.

    "... began. Rebels hold the ridge Map of the valley showing the front." gives the body
    "... began." and the captions "Rebels hold the ridge" and "Map of the valley showing ...".
    """
    captions: list[str] = []
    while (cut := last_glued_opener(text)) is not None:
        captions.insert(0, text[cut:].strip())
        text = text[:cut].rstrip()
    run = unterminated_tail(text)
    if run:
        captions.insert(0, run)
        text = text[: -len(run)].rstrip()
    return text, captions


def last_glued_opener(text: str) -> int | None:
    """Where a caption opener glued onto the text starts, if what follows it is one caption."""
    matches = list(_GLUED_OPENER.finditer(text))
    if not matches:
        return None
    cut = matches[-1].end()
    tail = text[cut:]
    if word_count(tail) > CAPTION_MAX_WORDS or len(split_sentences(tail)) > 2:
        return None
    return cut


def unterminated_tail(text: str) -> str:
    """The last "sentence" of several, when it does not end like one (a caption, not prose)."""
    sentences = split_sentences(text)
    tail = sentences[-1] if len(sentences) > 1 else ""
    if _TERMINAL.search(tail) or not CAPTION_MIN_WORDS <= word_count(tail) <= CAPTION_MAX_WORDS:
        return ""
    return tail


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if inside_quotation(text[start : match.end()]) or ends_with_abbreviation(text[: match.start() + 1]):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    if text[start:].strip():
        sentences.append(text[start:].strip())
    return sentences


def inside_quotation(text: str) -> bool:
    """True when `text` leaves a double quotation open (straight or curly)."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def ends_with_abbreviation(text: str) -> bool:
    """True when the full stop closing `text` belongs to "Gen.", "Dec.", "F." or "U.S."."""
    words = text.split()
    if not words or not text.endswith("."):
        return False
    token = words[-1].lstrip("\"'“‘([")[:-1]
    return token.lower() in _ABBREVIATIONS or bool(_INITIALS.match(token))


def readable_paragraphs(item: Item) -> list[Item]:
    """Regroup a flattened paragraph into paragraphs of a few sentences (see module docstring)."""
    kind, text = item
    if kind != PARAGRAPH or word_count(text) <= FLATTENED_MIN_WORDS:
        return [item]
    sentences = split_sentences(text)
    if len(sentences) < FLATTENED_MIN_SENTENCES:
        return [item]
    paragraphs: list[list[str]] = [[]]
    for sentence in sentences:
        current = paragraphs[-1]
        if len(current) >= PARAGRAPH_SENTENCES or word_count(" ".join(current)) >= PARAGRAPH_WORDS:
            paragraphs.append(current := [])
        current.append(sentence)
    return [(PARAGRAPH, " ".join(group)) for group in paragraphs]
