import pytest

from articles.reading import WORDS_PER_MINUTE, count_words, reading_minutes


@pytest.mark.parametrize(
    ("words", "minutes"),
    [(0, 1), (1, 1), (WORDS_PER_MINUTE, 1), (WORDS_PER_MINUTE + 1, 2), (620, 3), (714, 3), (715, 4)],
)
def test_reading_minutes_rounds_up_with_a_floor_of_one(words, minutes):
    assert reading_minutes(words) == minutes


def test_dashes_and_punctuation_alone_are_not_words():
    assert count_words(["- Establish 'safe zone' -", "nearly one million -- the biggest"]) == 8


def test_count_words_skips_empty_texts():
    assert count_words(["", "one two", ""]) == 2
