"""Comment formatting: a small, safe subset, rendered to HTML and sanitised with nh3.

Supported: paragraphs (blank line), line breaks, **bold**, *italic* or _italic_,
[links](https://…) and bare http(s) URLs, "> " quotes, and @mentions.  The text is
HTML-escaped before any markup is added, and the result goes through nh3 with an
allow-list, so nothing a commenter types can become script or styling.
"""

import re
from collections.abc import Callable

import nh3
from django.utils.html import escape

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class"}}
LINK_REL = "nofollow ugc noopener"

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_.+-]{1,150})")
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s)]{1,500})\)")
# A bare URL ends at a space, a quote or an angle bracket (which the text holds escaped, as &quot;
# &#x27; &lt; &gt;, since it is escaped first), and never with trailing punctuation.
_ESCAPED_DELIMITER = r"&(?:quot|#x27|lt|gt);"
_URL_CHARACTER = rf"(?:(?!{_ESCAPED_DELIMITER})[^\s<\"'«»“”‘’‹›])"
_BARE_URL = re.compile(rf"(?<![\"'=>])\bhttps?://{_URL_CHARACTER}{{1,500}}(?<![.,;:!?)\]])")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")


def mentioned_usernames(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in MENTION.findall(text):
        seen.setdefault(name.rstrip(".").lower(), None)
    return list(seen)


def _inline(text: str, mention_url: Callable[[str], str | None]) -> str:
    """One block's text as HTML.  Links and mentions are set aside as NUL-delimited placeholders
    while the emphasis rules run (render_comment removes any NUL the text itself held)."""
    html: str = escape(text)
    placeholders: list[str] = []

    def keep(fragment: str) -> str:
        placeholders.append(fragment)
        return f"\x00{len(placeholders) - 1}\x00"

    html = _LINK.sub(lambda m: keep(f'<a href="{m.group(2)}">{m.group(1)}</a>'), html)
    html = _BARE_URL.sub(lambda m: keep(f'<a href="{m.group(0)}">{m.group(0)}</a>'), html)

    def mention(match: re.Match[str]) -> str:
        name = match.group(1).rstrip(".")
        url = mention_url(name.lower())
        if url is None:
            return match.group(0)
        trailing = match.group(1)[len(name) :]
        return keep(f'<a class="mention" href="{url}">@{name}</a>') + trailing

    html = MENTION.sub(mention, html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _ITALIC.sub(r"<em>\1</em>", html)
    html = html.replace("\n", "<br>")
    return re.sub("\x00(\\d+)\x00", lambda m: placeholders[int(m.group(1))], html)


def render_comment(text: str, mention_url: Callable[[str], str | None] = lambda name: None) -> str:
    """Turn a comment's text into sanitised HTML.

    Any text renders.  NUL characters are dropped (the placeholders use them; requests holding one
    are refused before they get here, agora.middleware.input).
    """
    text = text.replace("\x00", "")
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    parts = []
    for block in blocks:
        lines = block.split("\n")
        if all(line.startswith(">") for line in lines):
            quoted = "\n".join(line[1:].lstrip() for line in lines)
            parts.append(f"<blockquote><p>{_inline(quoted, mention_url)}</p></blockquote>")
        else:
            parts.append(f"<p>{_inline(block, mention_url)}</p>")
    return nh3.clean(
        "".join(parts),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
    )
