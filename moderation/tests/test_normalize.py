import pytest

from moderation.normalize import normalize


@pytest.mark.parametrize(
    "raw",
    [
        "idiot",
        "IDIOT",
        "1d10t",
        "ｉｄｉｏｔ",  # full-width
        "iiidiot",
        "idiooooot",
        "𝐢𝐝𝐢𝐨𝐭",  # mathematical bold
        "іdіоt",  # Cyrillic і and о
        "ïdiöt",
        "id\u200biot",  # zero-width space
        "i d i o t",
        "i.d.i.o.t",
        "!d!0t",
    ],
)
def test_obfuscated_spellings_fold_to_the_plain_word(raw):
    assert normalize(raw) == "idiot"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$h1t", "shit"),
        ("a$$hole", "asshole"),
        ("b@stard", "bastard"),
        ("f.u.c.k you", "fuck you"),
        ("You are an IDIOT!!!!!!", "you are an idiot!!!"),
        ("Don’t be silly…", "don't be silly..."),
        ("Tom &amp; Jerry", "tom & jerry"),
    ],
)
def test_leetspeak_punctuation_and_entities(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "covid19 cases rose 12% in 2020",
        "the meeting is at 4pm on the 10th",
        "tickets cost $5 or 3 for $12",
        "the 1990s were different",
    ],
)
def test_numbers_prices_and_names_with_numbers_are_left_alone(raw):
    assert normalize(raw) == raw


def test_platform_markers_are_removed():
    assert (
        normalize("RT @someone: Great game tonight #GoTeam https://t.co/abc") == ": great game tonight goteam"
    )
    assert normalize("@user thanks!") == "thanks!"


def test_whitespace_and_empty_input():
    assert normalize("  many   spaces\n\tand lines ") == "many spaces and lines"
    assert normalize("") == ""
    assert normalize("\u200b\u200b") == ""


def test_normalisation_is_idempotent():
    for raw in ["1d10t", "Sooooo   GOOD", "RT @a: f u c k", "ｉｄｉｏｔ!!!!!", "Ça va très bien"]:
        once = normalize(raw)
        assert normalize(once) == once
