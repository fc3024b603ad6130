"""HTML to an article: whole pages through trafilatura, and body fragments (feed content).

Both end in the same walker, `blocks_from_tree`, which reads the vocabulary of HTML
(p, h2, figure, img, br ...) and of trafilatura's XML (p, head, graphic, lb, list/item ...)
and stores text only: markup is dropped, never kept.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from lxml import etree
from trafilatura.settings import Document
from trafilatura.utils import load_html

from articles.ingest.sources import Fetched, IngestError, check_text
from articles.ingest.wire import detect_agency
from articles.models import Article, ArticleBlock
from articles.services import ArticleData, BlockData

MIN_ARTICLE_WORDS = 25
URL_MAX = 500  # ArticleBlock.image_url and Article.canonical_url
ALT_FALLBACK = "Image"


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


SKIP = _tags(
    "script style noscript template iframe object embed video audio canvas svg form button "
    "input select textarea nav aside header footer table comments"
)
HEADINGS = _tags("h1 h2 h3 h4 h5 h6 head")
IMAGES = frozenset({"img", "graphic"})
BREAKS = frozenset({"br", "lb"})
# Elements that end the paragraph before them and start a new one after.
BLOCK_LEVEL = _tags(
    "p div section article main body doc blockquote quote pre ul ol li list item dl dt dd "
    "figure figcaption address center hr"
)
_is_url = URLValidator(schemes=["http", "https"])


@dataclass
class Caption:
    text: str = ""
    credit: str = ""


@dataclass
class _Blocks:
    """Collects blocks while walking a tree, joining inline text into paragraphs."""

    base_url: str | None
    captions: dict[str, Caption] = field(default_factory=dict)
    blocks: list[BlockData] = field(default_factory=list, init=False)
    _text: list[str] = field(default_factory=list, init=False)
    _images: set[str] = field(default_factory=set, init=False)

    def add_text(self, text: str | None) -> None:
        if text:
            self._text.append(text)

    def flush(self) -> None:
        paragraph = normalise(" ".join(self._text))
        self._text.clear()
        if paragraph:
            self.blocks.append(BlockData(ArticleBlock.Kind.PARAGRAPH, text=paragraph))

    def add_subhead(self, text: str) -> None:
        self.flush()
        if text:
            self.blocks.append(BlockData(ArticleBlock.Kind.SUBHEAD, text=text))

    def add_image(self, src: str | None, alt: str | None, caption: Caption | None = None) -> None:
        url = absolute_http_url(src, self.base_url)
        if not url or url in self._images:
            return
        self._images.add(url)
        caption = caption or self.captions.get(url) or Caption()
        alt_text = normalise(alt or "") or caption.text or ALT_FALLBACK
        self.flush()
        self.blocks.append(
            BlockData(
                ArticleBlock.Kind.FIGURE,
                image_url=url,
                alt_text=alt_text,
                caption=caption.text,
                credit=caption.credit,
            )
        )


def normalise(text: str) -> str:
    return " ".join(text.split())


def tag_of(element: etree._Element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def absolute_http_url(src: str | None, base_url: str | None) -> str:
    """`src` made absolute against `base_url`; blank unless it is a valid http(s) URL we can store."""
    if not src or not src.strip():
        return ""
    url = urljoin(base_url or "", src.strip())
    if urlsplit(url).scheme not in {"http", "https"} or len(url) > URL_MAX:
        return ""
    try:
        _is_url(url)
    except ValidationError:
        return ""
    return url


def blocks_from_tree(
    root: etree._Element, base_url: str | None, captions: dict[str, Caption]
) -> list[BlockData]:
    blocks = _Blocks(base_url=base_url, captions=captions)
    _walk(root, blocks)
    blocks.flush()
    return blocks.blocks


def blocks_from_fragment(fragment: str, base_url: str | None) -> list[BlockData]:
    """Body blocks from an HTML fragment such as a feed item's content."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return blocks_from_tree(root, base_url, captions={})


def _walk(element: etree._Element, blocks: _Blocks) -> None:
    tag = tag_of(element)
    if tag in SKIP or not tag:
        return
    if tag in HEADINGS:
        blocks.add_subhead(normalise("".join(element.itertext())))
    elif tag in IMAGES:
        blocks.add_image(element.get("src"), element.get("alt"))
    elif tag == "figure":
        _walk_figure(element, blocks)
    elif tag in BREAKS:
        blocks.flush()
    else:
        _walk_children(element, blocks, block_level=tag in BLOCK_LEVEL)


def _walk_children(element: etree._Element, blocks: _Blocks, *, block_level: bool) -> None:
    if block_level:
        blocks.flush()
    blocks.add_text(element.text)
    for child in element:
        _walk(child, blocks)
        blocks.add_text(child.tail)
    if block_level:
        blocks.flush()


def _walk_figure(figure: etree._Element, blocks: _Blocks) -> None:
    caption = figure_caption(figure)
    images = [child for child in figure.iter() if tag_of(child) in IMAGES]
    for image in images:
        blocks.add_image(image.get("src"), image.get("alt"), caption)


def figure_caption(figure: etree._Element) -> Caption:
    """The figcaption's text, with a credit element ("Photo: Ana Lind") split off when marked."""
    figcaption = next((el for el in figure.iter() if tag_of(el) == "figcaption"), None)
    if figcaption is None:
        return Caption()
    credit = ""
    for element in list(figcaption.iter()):
        if element is not figcaption and "credit" in (element.get("class") or "").lower():
            credit = normalise("".join(element.itertext()))
            element.drop_tree()
            break
    return Caption(text=normalise("".join(figcaption.itertext())), credit=credit)


def page_captions(tree: lxml.html.HtmlElement, base_url: str | None) -> dict[str, Caption]:
    """Captions of the page's figures by image URL (trafilatura keeps images, not figcaptions)."""
    captions: dict[str, Caption] = {}
    for figure in tree.iter("figure"):
        caption = figure_caption(figure)
        for image in figure.iter("img"):
            url = absolute_http_url(image.get("src"), base_url)
            if url and caption.text:
                captions.setdefault(url, caption)
    return captions


def canonical_link(tree: lxml.html.HtmlElement, page_url: str | None) -> str:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return absolute_http_url(link.get("href"), page_url)
    return ""


def parse_date(value: str | None) -> datetime | None:
    """trafilatura's date (asked for as ISO 8601 with time and offset) as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_html_page(fetched: Fetched) -> ArticleData:
    """An HTML article page to ArticleData; IngestError when the page holds no article."""
    check_text(fetched)
    tree = load_html(fetched.data)
    document = trafilatura.bare_extraction(
        fetched.data,
        url=fetched.url,
        with_metadata=True,
        include_images=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )
    if tree is None or not isinstance(document, Document) or document.body is None:
        raise IngestError(fetched.source, "no article found in this HTML page")
    canonical = canonical_link(tree, fetched.url) or fetched.url
    base_url = fetched.url or canonical
    headline = normalise(document.title or "")
    standfirst = normalise(document.description or "")
    blocks = drop_repeats(
        blocks_from_tree(document.body, base_url, page_captions(tree, base_url)), headline, standfirst
    )
    check_is_article(fetched.source, headline, blocks)
    return ArticleData(
        headline=headline,
        standfirst=standfirst,
        byline=normalise(document.author or ""),
        source=detect_agency(" ".join(b.text for b in blocks[:2])) or normalise(document.sitename or ""),
        blocks=blocks,
        published_at=parse_date(document.date),
        canonical_url=canonical,
        origin=Article.Origin.HTML,
    )


def drop_repeats(blocks: list[BlockData], headline: str, standfirst: str) -> list[BlockData]:
    """Drop leading blocks that repeat the headline (the page's h1) or the standfirst."""
    index = 0
    while (
        index < len(blocks)
        and blocks[index].kind != ArticleBlock.Kind.FIGURE
        and blocks[index].text in {headline, standfirst}
    ):
        index += 1
    return blocks[index:]


def check_is_article(source: str, headline: str, blocks: list[BlockData]) -> None:
    words = sum(len(b.text.split()) for b in blocks if b.kind == ArticleBlock.Kind.PARAGRAPH)
    if words < MIN_ARTICLE_WORDS:
        raise IngestError(
            source, f"no article found in this HTML page (only {words} words of body text were found)"
        )
    if not headline:
        raise IngestError(source, "no headline found in this HTML page (no <title>, og:title or <h1>)")
