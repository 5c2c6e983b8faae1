"""Raw n-gram counts: what a Kneser-Ney model is estimated from, kept so it can grow.

The n-gram tables in a model file (ngram.py) are finished probabilities; they cannot take more
text. Counts can: `nextword learn` adds the user's text to a user layer's counts, and
`nextword train --from` merges the base model's counts with the new corpus's. Counts are kept
as the highest order's n-grams written out as ids (oldest first), not packed keys, so they
survive a vocabulary that grows (packing depends on its size). They are stored in the model
file as an .npz entry of plain integer arrays (read with allow_pickle=False).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from .errors import NextwordError
from .ngram import NGramTable, _count, _group, max_order


@dataclass
class NGramCounts:
    """How often each n-gram of one order was seen."""
    order: int
    grams: np.ndarray  # int32 (entries, order): the ids of each n-gram, oldest first
    counts: np.ndarray  # int64 (entries,)

    @classmethod
    def empty(cls, order: int) -> "NGramCounts":
        return cls(order, np.zeros((0, order), np.int32), np.zeros(0, np.int64))

    @classmethod
    def count(cls, ids, vocab_size: int, order: int, keep=None,
              max_tokens: int = 0) -> "NGramCounts":
        """The order-`order` n-grams of ids (a memory map is fine); see NGramTable.build."""
        order = max_order(vocab_size, order)
        keys, words, counts = _count(ids, vocab_size, order, keep, max_tokens)
        return cls(order, _unpack(keys, words, vocab_size, order), counts.astype(np.int64))

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def tokens(self) -> int:
        return int(self.counts.sum())

    def max_id(self) -> int:
        return int(self.grams.max(initial=-1))

    def merged(self, other: "NGramCounts", weight: float = 1.0) -> "NGramCounts":
        """weight * self + other, n-gram by n-gram; weighted counts are rounded (Kneser-Ney
        discounts need whole counts) and n-grams left at zero are dropped."""
        if other.order != self.order:
            raise NextwordError(f"cannot merge {self.order}-gram counts with "
                                f"{other.order}-gram counts")
        mine = np.rint(self.counts * weight).astype(np.int64) if weight != 1.0 else self.counts
        grams = np.concatenate([self.grams, other.grams])
        counts = np.concatenate([mine, other.counts])
        if len(grams) == 0:
            return NGramCounts.empty(self.order)
        # Sorted by every column, oldest first (lexsort's last key is the primary one):
        # ten times faster than np.unique(axis=0), which compares rows as raw bytes.
        order = np.lexsort(grams.T[::-1])
        grams, counts = grams[order], counts[order]
        first = np.ones(len(grams), dtype=bool)
        first[1:] = (grams[1:] != grams[:-1]).any(axis=1)
        starts = np.flatnonzero(first)
        summed = np.add.reduceat(counts, starts)
        kept = summed > 0
        return NGramCounts(self.order, grams[starts][kept].astype(np.int32),
                           summed[kept].astype(np.int64))

    def table(self, vocab_size: int, max_entries: int = 0) -> NGramTable:
        """The interpolated Kneser-Ney model of these counts over vocab_size ids."""
        if self.max_id() >= vocab_size:
            raise NextwordError(f"n-gram counts hold id {self.max_id()}, beyond a vocabulary "
                                f"of {vocab_size}")
        order = max_order(vocab_size, self.order)
        grams = self.grams[:, self.order - order:]  # a vocabulary too large drops old words
        keys = np.zeros(len(grams), dtype=np.int64)
        for column in range(order - 1):
            keys = keys * vocab_size + grams[:, column]
        keys, words, counts = _group(keys, grams[:, -1].astype(np.int64), self.counts)
        return NGramTable.from_counts(keys, words, counts, vocab_size, order, max_entries)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, order=np.int64(self.order), grams=self.grams,
                            counts=self.counts)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "n-gram counts") -> "NGramCounts":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                order = int(arrays["order"])
                grams = arrays["grams"].astype(np.int32)
                counts = arrays["counts"].astype(np.int64)
        except (ValueError, KeyError, OSError, EOFError) as error:
            raise NextwordError(f"the {what} in the model file are damaged ({error}); "
                                "train it again") from None
        if grams.ndim != 2 or grams.shape != (len(counts), order) or order < 1:
            raise NextwordError(f"the {what} in the model file are damaged (shape "
                                f"{grams.shape} for order {order}); train it again")
        return cls(order, grams, counts)


def _unpack(keys: np.ndarray, words: np.ndarray, vocab_size: int, order: int) -> np.ndarray:
    """Packed context keys and words back to (entries, order) ids, oldest first."""
    grams = np.zeros((len(keys), order), dtype=np.int32)
    grams[:, -1] = words
    rest = keys.astype(np.int64)
    for column in range(order - 2, -1, -1):
        rest, grams[:, column] = np.divmod(rest, vocab_size)
    return grams
