"""A short-range cache: words used in the last few hundred tokens are more likely again.

People repeat themselves within a conversation or a document: a name, a term, a phrase
(Kuhn & De Mori 1990's cache model, Grave et al. 2017's neural cache). The model's
probabilities come from long-term statistics; the cache adds a decaying unigram distribution
of the recent tokens (the user's last finished lines and the text being typed):

    p(w) = (1 - weight) * model(w) + weight * cache(w),  cache(w) ~ sum over recent uses 2^(-age/half_life)

It lives in memory, per predictor (a process serving one user), and is never saved.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from .vocab import SPECIALS

SIZE = 400  # tokens remembered
HALF_LIFE = 100.0  # tokens after which a use counts half


class RecentWords:
    """The last `size` tokens the user finished, and the cache distribution they give."""

    def __init__(self, weight: float, size: int = SIZE, half_life: float = HALF_LIFE):
        self.weight = weight
        self.half_life = half_life
        self._ids: deque = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, ids) -> None:
        """Remember finished tokens, oldest first (special tokens are skipped)."""
        with self._lock:
            self._ids.extend(int(i) for i in ids if i >= len(SPECIALS))

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()

    def __len__(self) -> int:
        return len(self._ids)

    def cache(self, current=()) -> tuple[np.ndarray, np.ndarray] | None:
        """(ids, probabilities) of the cache after the remembered tokens and `current` (the
        text being typed), or None when it is empty."""
        with self._lock:
            ids = list(self._ids)
        ids += [int(i) for i in current if i >= len(SPECIALS)]
        if not ids or self.weight <= 0:
            return None
        ids = np.asarray(ids, dtype=np.int64)
        ages = np.arange(len(ids) - 1, -1, -1, dtype=np.float64)
        decay = np.exp2(-ages / self.half_life)
        unique, inverse = np.unique(ids, return_inverse=True)
        weights = np.bincount(inverse, weights=decay)
        return unique, weights / weights.sum()

    def mix(self, probabilities: np.ndarray, current=()) -> np.ndarray:
        """probabilities (vocab,) mixed with the cache (a new array; unchanged when empty)."""
        found = self.cache(current)
        if found is None:
            return probabilities
        ids, cached = found
        mixed = probabilities * np.float32(1.0 - self.weight)
        mixed[ids] += (self.weight * cached).astype(mixed.dtype)
        return mixed
