"""Reading time, as a reader experiences it.

Silent reading of English non-fiction averages 238 words per minute
(Brysbaert, 2019, "How many words do we read per minute?").  We count the words a
reader actually reads on the page — standfirst, paragraphs, subheads and figure
captions — divide by 238 and round up, with a floor of one minute: 620 words
(2.6 minutes) is a "3-min read".
"""

import math
import re
from collections.abc import Iterable

WORDS_PER_MINUTE = 238

# A word is a whitespace-separated token holding at least one letter or digit,
# so the dashes of "- Establish 'safe zone' -" or "--" are not counted.
_WORD = re.compile(r"\S*\w\S*")


def count_words(texts: Iterable[str]) -> int:
    return sum(len(_WORD.findall(text)) for text in texts if text)


def reading_minutes(word_count: int) -> int:
    """Minutes to read `word_count` words, rounded up, never less than one."""
    return max(1, math.ceil(word_count / WORDS_PER_MINUTE))
