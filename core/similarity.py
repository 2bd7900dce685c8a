"""How alike two requests' texts are, for the duplicate suggestions (grievances.duplicates).

Chinese has no spaces between words, so texts are compared by their character bigrams (two
characters side by side), after NFKC (full-width letters and digits become half-width), lower
case, and with punctuation and spaces removed. The score is the Dice coefficient of the two
bigram sets, 2·|A∩B| / (|A|+|B|), from 0 (nothing shared) to 1. Words every request carries
("市民反映", "希望尽快处理") are left out first, so two reports are not alike merely for being
written in the hotline's register. Pure Python, no Django: `bench/duplicates.py` measures it
on the labelled pairs in tests/data/duplicate_pairs.tsv."""

import re
import unicodedata

# A pair scoring at least this is suggested as the same problem (see bench/duplicates.py).
SAME_ABOVE = 0.34

# The hotline's and the desk's set phrases: they say nothing about the problem.
BOILERPLATE = (
    "市民来电反映",
    "市民反映",
    "来电反映",
    "居民反映",
    "反映",
    "诉求",
    "希望",
    "要求",
    "请求",
    "尽快",
    "相关部门",
    "有关部门",
    "处理",
    "解决",
    "问题",
    "情况",
    "现在",
    "目前",
    "一直",
    "已经",
    "还是",
    "我们",
    "这个",
)
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    for phrase in BOILERPLATE:
        text = text.replace(phrase, " ")
    return _NOT_TEXT.sub("", text)


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of the normalized text (the text itself when one character)."""
    plain = normalized(text)
    if len(plain) < 2:
        return frozenset([plain]) if plain else frozenset()
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def similarity(a: str | frozenset, b: str | frozenset) -> float:
    """Dice coefficient of the two texts' bigrams (texts or bigram sets)."""
    first = a if isinstance(a, frozenset) else bigrams(a)
    second = b if isinstance(b, frozenset) else bigrams(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))
