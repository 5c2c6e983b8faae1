"""Word completion: which vocabulary words begin with the part of a word typed so far.

A keyboard completes the word being typed ("and the lo" -> "lord") as well as suggesting the
next one (suggestions.py). `PrefixIndex` finds the vocabulary words that begin with the typed
part by bisection over the sorted vocabulary, so a keystroke costs two binary searches, not a
scan of the vocabulary.
"""

from __future__ import annotations

import bisect

import numpy as np
import regex

from ..errors import NextwordError

WORD_START = regex.compile(r"[\w\p{M}]")
LAST = "\U0010ffff"  # sorts after every character a word can continue with


class PrefixIndex:
    """The vocabulary in string order with each word's id: prefix ranges by bisection."""

    def __init__(self, tokens: list[str], excluded=()):
        excluded = set(excluded)
        order = sorted((token, i) for i, token in enumerate(tokens) if token not in excluded)
        self.words = [token for token, _ in order]
        self.ids = np.array([i for _, i in order], dtype=np.int64)

    def span(self, typed: str) -> tuple[int, int]:
        """The positions [begin, end) of the words that begin with `typed`."""
        return (bisect.bisect_left(self.words, typed),
                bisect.bisect_left(self.words, typed + LAST))

    def candidates(self, typed: str) -> np.ndarray:
        """Ids of the vocabulary words that begin with `typed` (the word itself included)."""
        begin, end = self.span(typed)
        return self.ids[begin:end]


def check_k(k: int) -> None:
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
