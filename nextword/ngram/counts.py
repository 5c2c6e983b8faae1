"""Raw n-gram counts: what a Kneser-Ney model is estimated from, kept so it can grow.

The n-gram tables in a model file (kneser_ney.py) are finished probabilities; they cannot take
more text. Counts can: `nextword learn` adds the user's text to a user layer's counts, and
`nextword train --from` merges the base model's counts with the new corpus's. Counts are kept
as the highest order's n-grams written out as ids (oldest first), not the table's keys, so
they survive a vocabulary that grows (the keys depend on its size). They are stored in the model
file as an .npz entry of plain integer arrays (read with allow_pickle=False).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ..errors import NextwordError
from .estimate import count_grams, group_rows
from .kneser_ney import NGramTable


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
    def count(cls, ids, order: int, keep=None, max_tokens: int = 0) -> "NGramCounts":
        """The order-`order` n-grams of ids (a memory map is fine); see NGramTable.build."""
        grams, counts = count_grams(ids, order, keep, max_tokens)
        return cls(order, grams, counts)

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
        grams, summed = group_rows(grams, counts)
        kept = summed > 0
        return NGramCounts(self.order, grams[kept].astype(np.int32), summed[kept])

    def table(self, vocab_size: int, max_entries: int = 0) -> NGramTable:
        """The interpolated Kneser-Ney model of these counts over vocab_size ids."""
        if self.max_id() >= vocab_size:
            raise NextwordError(f"n-gram counts hold id {self.max_id()}, beyond a vocabulary "
                                f"of {vocab_size}")
        return NGramTable.from_grams(self.grams, self.counts, vocab_size, max_entries)

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

