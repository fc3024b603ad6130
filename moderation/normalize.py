"""Text normalisation applied before vectorising a comment.

The aim is to map the many spellings people use to dodge a filter onto one form, and to drop
markers that only tell which platform a text came from (Twitter handles, ``RT``, links), so that the
model learns what is said rather than where:

* Unicode NFKC (full-width and stylised letters such as ``ｉｄｉｏｔ`` or ``𝐢𝐝𝐢𝐨𝐭``), accents and
  invisible characters removed, Cyrillic/Greek look-alike letters mapped to Latin;
* leetspeak folded inside words that also hold letters (``1d10t`` -> ``idiot``, ``$h1t`` -> ``shit``),
  while plain numbers and prices are left alone;
* letters spaced or dotted apart joined again (``i d i o t``, ``f.u.c.k``);
* runs of three or more of the same letter squashed to one (``iiidiot`` -> ``idiot``);
* lower case, HTML entities decoded, whitespace collapsed.

``NORMALIZER_VERSION`` is stored in the model artifact; bump it whenever the output changes, and
retrain.
"""

from __future__ import annotations

import html
import re
import unicodedata

NORMALIZER_VERSION = 1

# Letters from other scripts that look like Latin ones (a small subset of Unicode's confusables list,
# the ones that matter for English words), plus a few symbols used as letters.
_CONFUSABLES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "с": "c",
    "ԁ": "d",
    "е": "e",
    "ё": "e",
    "һ": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "г": "r",
    "ѕ": "s",
    "т": "t",
    "υ": "u",
    "ц": "u",
    "ѵ": "v",
    "ԝ": "w",
    "х": "x",
    "у": "y",
    "з": "3",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    # Latin variants NFKC keeps
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ƒ": "f",
    # typographic punctuation
    "‘": "'",
    "’": "'",
    "ʼ": "'",
    "`": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
}
_CONFUSABLES_TABLE = str.maketrans(_CONFUSABLES)

# Zero-width characters, soft hyphen, bidi marks, variation selectors: removed outright.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_HANDLE_RE = re.compile(r"(?<![\w@])@\w+")
_RETWEET_RE = re.compile(r"(?<!\w)rt(?=\s*[:@]|\s*$)")
_HASH_RE = re.compile(r"(?<![\w#])#(?=\w)")

# Leetspeak: digits and symbols standing for letters.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "€": "e",
    }
)
# A "word" for leet folding: letters, digits and leet symbols with no space, holding at least one letter.
# It is folded when it also holds a leet character and is not a number with a unit (10th, 4pm, 1990s)
# or a name with a number after it (covid19, mp3, g20).
_LEET_TOKEN_RE = re.compile(r"[a-z0-9@$!|€]*[a-z][a-z0-9@$!|€]*")
_LEET_CHARS = frozenset("0134571@$!|€")
_NAME_WITH_NUMBER_RE = re.compile(r"[a-z]+[0-9]+")
_NUMBER_WITH_UNIT_RE = re.compile(
    r"[0-9]+(?:st|nd|rd|th|s|am|pm|k|m|bn|d|g|x|mm|cm|km|kg|lb|lbs|mph|ft|yo|yr|yrs|min|h|hr|hrs|gb|mb)?"
)
# Letters kept apart by single spaces, dots, dashes, underscores or stars: "i d i o t", "f.u.c.k".
_SPACED_LETTERS_RE = re.compile(r"(?<![a-z])(?:[a-z][ .\-_*]){2,}[a-z](?![a-z])")
_SPACED_SEP_RE = re.compile(r"[ .\-_*]")
_REPEAT_LETTER_RE = re.compile(r"([a-z])\1{2,}")
_REPEAT_OTHER_RE = re.compile(r"([^\w\s])\1{3,}")
_SPACE_RE = re.compile(r"\s+")


def _strip_marks(text: str) -> str:
    """Remove combining accents (``ïdiöt`` -> ``idiot``), keeping everything else."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def _fold_leet_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if not _LEET_CHARS.intersection(token):
        return token
    stripped = token.rstrip("!")  # "idiot!!" is punctuation, not leet
    if not stripped or _NUMBER_WITH_UNIT_RE.fullmatch(stripped) or _NAME_WITH_NUMBER_RE.fullmatch(stripped):
        return token
    if stripped[0] == "@" and not any(ch in _LEET_CHARS for ch in stripped[1:]):
        return token  # a handle-like "@name", not leet
    return stripped.translate(_LEET) + token[len(stripped) :]


def _join_spaced(match: re.Match[str]) -> str:
    return _SPACED_SEP_RE.sub("", match.group(0))


def normalize(text: str) -> str:
    """Return the canonical form of ``text`` that the model is trained and applied on."""
    if not text:
        return ""
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = text.casefold()
    text = text.translate(_CONFUSABLES_TABLE)
    text = _strip_marks(text)
    text = _URL_RE.sub(" ", text)
    text = _HANDLE_RE.sub(" ", text)
    text = _RETWEET_RE.sub(" ", text)
    text = _HASH_RE.sub("", text)
    text = _SPACE_RE.sub(" ", text)
    text = _LEET_TOKEN_RE.sub(_fold_leet_token, text)
    text = _SPACED_LETTERS_RE.sub(_join_spaced, text)
    text = _REPEAT_LETTER_RE.sub(r"\1", text)
    text = _REPEAT_OTHER_RE.sub(r"\1\1\1", text)
    return _SPACE_RE.sub(" ", text).strip()
