from html.parser import HTMLParser

import pytest

from discussions.formatting import mentioned_usernames, render_comment


def test_limited_formatting():
    html = render_comment("**Bold** and *italic*\n\n> a quote\n\nsee [the report](https://example.org/r)")
    assert "<strong>Bold</strong>" in html and "<em>italic</em>" in html
    assert "<blockquote><p>a quote</p></blockquote>" in html
    assert '<a href="https://example.org/r" rel="nofollow ugc noopener">the report</a>' in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "**<b onmouseover=alert(1)>x</b>**",
    ],
)
def test_nothing_typed_becomes_markup(attack):
    elements = parse(render_comment(attack))
    assert {tag for tag, _ in elements} <= {"p", "strong", "em", "a", "blockquote", "br"}
    for tag, attrs in elements:
        for name, value in attrs:
            assert (tag, name) in {("a", "href"), ("a", "rel"), ("a", "class")}
            if name == "href":
                assert value.startswith(("http://", "https://", "/"))


def parse(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every element of the rendered HTML, with its attributes, as a browser would see them."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_bare_links_are_linked_without_trailing_punctuation():
    html = render_comment("Source: https://example.org/a?b=1.")
    assert 'href="https://example.org/a?b=1"' in html and html.endswith(".</p>")


def test_mentions_are_found_once_each():
    assert mentioned_usernames("@Bob and @bob, email me@example.org, @carol.") == ["bob", "carol"]
