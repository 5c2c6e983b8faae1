"""A spelling list: the words of the language beyond the model's vocabulary.

A model's vocabulary is the words its training text uses twice or more, and a typist writes
many more words correctly: on Shakespeare's last 4,000 lines, every clean word the engine
would have autocorrected was a word outside the vocabulary ("tamed" -> "famed", "mariners" ->
"mariner", "choleric" -> "choler"), and 7% of the typos made there were of such words
("protesing" for "protesting"). The list serves twice, as a keyboard's main dictionary does:

- a word the list knows is never autocorrected when the model does not know it (it may still
  be offered as a correction);
- a word of the list outside the vocabulary may be what a typo meant, or what a typed part
  begins (`outside`: each such word's share of the unknown token's probability, by the
  list's counts).

The list is pyspellchecker's English dictionary (160,572 words counted in subtitles, MIT
license; common misspellings such as "recieve" or "teh" are not in it), read on first use
(about 0.2 s), when a correction is about to be applied. A vocabulary that is not mostly words
of the list (another language) gets no words from it.
"""

from __future__ import annotations

import math
from functools import lru_cache

LANGUAGE = "en"
LISTED_SHARE = 0.5  # of the unknown token's probability, the share of the list's words
SAME_LANGUAGE = 0.6  # a vocabulary whose frequent words are this often listed is the list's
FREQUENT = 1000  # ... counted over its this many most frequent words


@lru_cache(maxsize=None)
def _counts(language: str) -> dict:
    from spellchecker import SpellChecker

    return dict(SpellChecker(language=language, distance=1).word_frequency.dictionary)


def counts(language: str = LANGUAGE) -> dict:
    """The spelling list of `language`: word -> how often it is met (a shared dict: read,
    never change it)."""
    return _counts(language)


def spelled_right(word: str, language: str = LANGUAGE) -> bool:
    """Whether the spelling list of `language` has `word` (case aside)."""
    return word.lower() in _counts(language)


@lru_cache(maxsize=None)
def _log_counts(language: str) -> dict:
    return {word: math.log(count) for word, count in _counts(language).items() if word.isalpha()}


def outside(words: list[str], language: str = LANGUAGE) -> tuple[dict, float] | None:
    """How the list's words outside `words` (a vocabulary's folded words, the most frequent
    first) share the unknown token's probability: (the list's word -> log of its count, the
    log to add for a word's share), LISTED_SHARE spread by the counts over the words not in
    `words`. None when the vocabulary's frequent words are mostly not listed. The first is
    the same dict for every vocabulary: a model that learns words is not read again."""
    counts = _counts(language)
    frequent = [word for word in words[:FREQUENT] if word.isalpha()]
    if not frequent or sum(word in counts for word in frequent) < SAME_LANGUAGE * len(frequent):
        return None
    logs = _log_counts(language)
    total = _total(language) - sum(counts[word] for word in set(words) if word in logs)
    return logs, math.log(LISTED_SHARE / max(total, 1))


@lru_cache(maxsize=None)
def in_order(language: str = LANGUAGE) -> tuple[list[str], list[float]]:
    """The list's words sorted as text (to find those a typed part begins), and the log of
    each one's count."""
    logs = _log_counts(language)
    words = sorted(logs)
    return words, [logs[word] for word in words]


@lru_cache(maxsize=None)
def _total(language: str) -> int:
    return sum(count for word, count in _counts(language).items() if word.isalpha())
