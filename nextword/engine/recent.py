"""A short-range cache: words used in the last few hundred tokens are more likely again.

People repeat themselves within a conversation or a document: a name, a term, a phrase
(Kuhn & De Mori 1990's cache model, Grave et al. 2017's neural cache). The model's
probabilities come from long-term statistics; the cache adds what the recent tokens say (the
user's last finished lines and the text being typed):

    p(w | v) = (1 - weight) * model(w) + weight * cache(w | v)

where cache(w | v) averages a unigram and a bigram (words that followed v) of the recent
tokens, each use weighing 2^(-age / half_life). The weight grows with what the cache holds,
weight * n / (n + HISTORY) for n tokens: a cache of two words is no evidence that they come
again, and at full weight it put "i" and "will" above "not" after "i will" (and a Chinese
prefix's own characters above every other next word). Measured (benchmarks/README.md,
recent.py section): with weight 0.1, +1.5 points of keystroke savings on text unlike the
training text (KJV model, 1 MB of Shakespeare learned, typing more Shakespeare) and +0.01 on
text like it.

It lives in memory, per predictor (a process serving one user), and is never saved.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from ..text.vocab import SPECIALS

SIZE = 400  # tokens remembered
HALF_LIFE = 100.0  # tokens after which a use counts half
BIGRAM = 0.5  # the share of the bigram cache (what followed the last word before)
HISTORY = 100  # tokens at which the cache has half its weight


class RecentWords:
    """The last `size` tokens the user finished, and the cache distribution they give."""

    def __init__(self, weight: float, size: int = SIZE, half_life: float = HALF_LIFE,
                 history: int = HISTORY):
        self.weight = weight
        self.half_life = half_life
        self.history = history  # 0: the full weight whatever the cache holds
        self._ids: deque = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, ids) -> None:
        """Remember finished tokens, oldest first (special tokens are skipped)."""
        with self._lock:
            self._ids.extend(int(i) for i in ids if i >= len(SPECIALS))

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()

    def emptied(self) -> "RecentWords":
        """A cache with the same settings, holding nothing (a simulated typing session's)."""
        return RecentWords(self.weight, self._ids.maxlen, self.half_life, self.history)

    def __len__(self) -> int:
        return len(self._ids)

    def cache(self, current=()) -> tuple[np.ndarray, np.ndarray] | None:
        """(ids, probabilities) of the cache after the remembered tokens and `current` (the
        text being typed, whose last token is the one just before the next word), or None
        when it is empty.

        Half of it is the decaying unigram of the recent tokens, half the decaying bigram of
        the words that followed the last token in them (all unigram when none did).
        """
        with self._lock:
            ids = list(self._ids)
        current = [int(i) for i in current]
        ids += [i for i in current if i >= len(SPECIALS)]
        if not ids or self.weight <= 0:
            return None
        ids = np.asarray(ids, dtype=np.int64)
        decay = np.exp2(-np.arange(len(ids) - 1, -1, -1, dtype=np.float64) / self.half_life)
        unigram = _normalised(ids, decay)
        last = current[-1] if current else -1
        followers = np.flatnonzero(ids[:-1] == last) + 1 if last >= len(SPECIALS) else []
        if not len(followers):
            return unigram
        bigram = _normalised(ids[followers], decay[followers])
        merged = np.union1d(unigram[0], bigram[0])
        probabilities = np.zeros(len(merged))
        probabilities[np.searchsorted(merged, unigram[0])] += (1 - BIGRAM) * unigram[1]
        probabilities[np.searchsorted(merged, bigram[0])] += BIGRAM * bigram[1]
        return merged, probabilities

    def mix(self, probabilities: np.ndarray, current=()) -> np.ndarray:
        """probabilities (vocab,) mixed with the cache (a new array; unchanged when empty)."""
        found = self.cache(current)
        if found is None:
            return probabilities
        ids, cached = found
        inside = ids < len(probabilities)  # a word learned while this was being computed
        ids, cached = ids[inside], cached[inside] / max(cached[inside].sum(), 1e-12)
        weight = self.weight_for(self.held(current))
        mixed = probabilities * np.float32(1.0 - weight)
        mixed[ids] += (weight * cached).astype(mixed.dtype)
        return mixed

    def held(self, current=()) -> int:
        """How many tokens the cache holds with `current` (the text being typed) added."""
        return len(self._ids) + sum(1 for i in current if i >= len(SPECIALS))

    def weight_for(self, held: int) -> float:
        """The cache's weight when it holds `held` tokens: weight * held / (held + history)."""
        return self.weight * held / (held + self.history) if self.history else self.weight


def _normalised(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids and their summed weights, summing to one."""
    unique, inverse = np.unique(ids, return_inverse=True)
    summed = np.bincount(inverse, weights=weights)
    return unique, summed / summed.sum()
