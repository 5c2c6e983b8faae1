"""Word completion: where the word being typed starts, and which words begin with it.

A keyboard completes the word being typed ("and the lo" -> "lord") as well as suggesting the
next one. `typed_word` splits text into the tokens before the word being typed and its typed
part; `PrefixIndex` finds the vocabulary words that begin with that part by bisection over the
sorted vocabulary, so a keystroke costs two binary searches, not a scan of the vocabulary.
"""

from __future__ import annotations

import bisect

import numpy as np
import regex

from ..errors import NextwordError
from ..text.tokenize import tokenize

WORD_START = regex.compile(r"[\w\p{M}]")
LAST = "\U0010ffff"  # sorts after every character a word can continue with


def typed_word(text: str, lowercase: bool = True,
               tokenizer: str = "words") -> tuple[list[str], str | None]:
    """(tokens before the word being typed, its typed part), or (all tokens, None).

    Text ends inside a word when its last character is not whitespace and its last token is a
    word (not punctuation); the typed part is then that token, folded like the model's text.
    """
    tokens = tokenize(text, lowercase, tokenizer=tokenizer)
    if not tokens or text[-1].isspace() or not WORD_START.match(tokens[-1]):
        return tokens, None
    return tokens[:-1], tokens[-1]


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


def complete_typed(predictor, text: str, k: int = 5):
    """Suggestions for what is being typed (Predictor.complete), and the typed part they
    complete (None: next words after whitespace or punctuation)."""
    check_k(k)
    context, typed = typed_word(text, predictor.config.lowercase, predictor.config.tokenizer)
    candidates = None if typed is None else predictor.prefixes.candidates(typed)
    if candidates is not None and predictor.blocked:
        candidates = candidates[~np.isin(candidates, list(predictor.blocked))]
    if candidates is not None and len(candidates) == 0:
        return [], typed  # nothing begins with it: no need to run the model
    ids = predictor.encode_tokens(context, text)
    probabilities = predictor.recent.mix(predictor.distribution_of(ids), ids)
    if candidates is None:
        return predictor.best(probabilities, k), None
    chosen = predictor.best(probabilities, k, candidates)
    total = float(probabilities[candidates].sum())
    return [(word, p / total) for word, p in chosen], typed


def check_k(k: int) -> None:
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
