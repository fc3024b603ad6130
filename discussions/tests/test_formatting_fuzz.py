"""The formatter, fuzzed: whatever a comment holds, it renders (never raises) to the allowed markup only."""

from html import unescape

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from discussions.formatting import ALLOWED_TAGS, render_comment
from discussions.tests.test_formatting import parse

# Pieces the formatter gives meaning to (and its own placeholder, NUL digits NUL), so that random
# comments hit its rules far more often than plain random text would.
TOKENS = [
    "\x00",
    "0",
    "1",
    "**",
    "*",
    "_",
    "[",
    "](",
    ")",
    "> ",
    "\n",
    "\n\n",
    "@alice",
    "@",
    ".",
    "https://example.org/a?b=1&c=2",
    "http://",
    "<",
    ">",
    '"',
    "'",
    "&",
    "&amp;",
    "&lt;",
    "javascript:alert(1)",
    "<script>",
    " onerror=",
    " ",
    "é",
]
COMMENTS = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))


def profile_url(name: str) -> str | None:
    return f"/accounts/people/{name}/" if name == "alice" else None


@settings(max_examples=400, deadline=None)
@given(COMMENTS)
@example("\x000\x00")
@example("**\x001\x00** [x](https://example.org/)")
def test_any_comment_renders_to_allowed_markup_only(text):
    html = render_comment(text, profile_url)
    for tag, attrs in parse(html):
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert (tag, name) in {("a", "href"), ("a", "rel"), ("a", "class")}
            if name == "href":
                assert value.startswith(("http://", "https://", "/accounts/people/"))
    assert "\x00" not in html


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(codec="utf-8", exclude_characters="<>&*_[]()@\x00\r\n"), min_size=1, max_size=200)
)
def test_plain_text_reads_the_same_after_rendering(text):
    """Text with nothing the formatter reads (no markup, no links, no NUL) comes out as it went in."""
    html = render_comment(text)
    if not text.strip() or "http" in text:
        return
    visible = unescape(html.removeprefix("<p>").removesuffix("</p>"))
    assert visible == text.strip()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('He said "https://example.org/a" twice', "He said &quot;"),
        ("See <https://example.org/a> here", "See &lt;"),
        ("See 'https://example.org/a' here", "See '"),
        ("(https://example.org/a)", "("),
        ("«https://example.org/a»", "«"),
    ],
)
def test_urls_in_quotes_and_brackets_link_the_url_alone(text, shown):
    html = render_comment(text)
    hrefs = [value for tag, attrs in parse(html) for name, value in attrs if name == "href"]
    assert hrefs == ["https://example.org/a"]
    assert html.startswith(f"<p>{shown}") or unescape(html).startswith(f"<p>{unescape(shown)}")


def test_a_url_with_a_query_keeps_its_ampersands():
    html = render_comment("https://example.org/a?b=1&c=2")
    assert [v for _, attrs in parse(html) for n, v in attrs if n == "href"] == [
        "https://example.org/a?b=1&c=2"
    ]
