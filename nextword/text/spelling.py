"""A spelling list: words of the language a keyboard must not autocorrect.

A model's vocabulary is the words its training text uses twice or more, and a typist writes
many more words correctly: on Shakespeare's last 4,000 lines, every clean word the engine
would have autocorrected was a word outside the vocabulary ("tamed" -> "famed", "mariners" ->
"mariner", "choleric" -> "choler"). A word the spelling list knows is therefore never
autocorrected when the model does not know it (it may still be offered as a correction).
The list is pyspellchecker's English dictionary (160,572 words counted in subtitles, MIT
license; common misspellings such as "recieve" or "teh" are not in it), read on first use
(about 0.15 s), when a correction is about to be applied.
"""

from __future__ import annotations

from functools import lru_cache

LANGUAGE = "en"


@lru_cache(maxsize=None)
def _words(language: str) -> frozenset:
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language=language, distance=1).word_frequency.dictionary)


def spelled_right(word: str, language: str = LANGUAGE) -> bool:
    """Whether the spelling list of `language` has `word` (case aside)."""
    return word.lower() in _words(language)
