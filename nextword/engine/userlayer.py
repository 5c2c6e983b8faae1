"""The user layer: what `nextword learn` adds to a model, in seconds and without TensorFlow.

A phone keyboard learns the user's words and phrases as they type; gradient training cannot
do that in seconds. The user layer is a Kneser-Ney n-gram model counted on the learned text
alone, over the model's vocabulary extended with the new words it met, mixed with the base
model (network and base n-gram) at every prediction:

    p(w | h) = b[k] * base(w | h) + (1 - b[k]) * user(w | h)

where k is the user model's bucket for h (the longest context it has seen and how often, as
for the base mixture), so the user's text gets more weight where it knows more. The weights b
are fitted by EM on prequential statistics: each stretch of learned text is first scored by
the model as it stands, then counted. That needs no held-out split, works the same for one
line (online learning) and for a book, and the weights follow the text as it grows.

The network and the base n-gram have never seen the new words: to them a new word is the
unknown token, whose probability the base shares among the new words in proportion to their
learned counts (a class model: where the network expects a rare word, a learned one fits).

Stored in the model file as one .npz entry of plain arrays (no pickles): the new words, the
counts, the statistics and the weights. Keras ignores the entry; nextword's predictor reads it.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field

import numpy as np

from ..errors import NextwordError
from ..ngram.counts import NGramCounts
from ..ngram.estimate import COUNT_BUCKETS
from ..ngram.kneser_ney import NGramTable
from ..ngram.mixture import fit_mixture
from ..text.casing import SurfaceForms
from ..text.vocab import EOL_ID, PAD_ID, UNK_ID

STATS = 20_000  # most recent scored positions kept to fit the weights
START_WEIGHT = 0.5  # the base's weight before anything was scored (EM's own start)


@dataclass
class UserLayer:
    """Learned words, their n-gram counts, and how much to trust them."""
    base_size: int  # ids below this are the base vocabulary's
    counts: NGramCounts
    words: list = field(default_factory=list)  # new words; word i has id base_size + i
    stats: np.ndarray | None = None  # float64 (3, n): base p, user p, bucket per position
    weights: np.ndarray | None = None  # the base's weight per user bucket
    lines: int = 0
    unknown: int = 0  # learned tokens the layer could not name (spelled or unknown)
    forms: SurfaceForms = field(default_factory=SurfaceForms)  # how the learned text writes words

    @classmethod
    def new(cls, base_size: int, order: int) -> "UserLayer":
        return cls(base_size, NGramCounts.empty(order))

    def __post_init__(self):
        self._table = None
        if self.stats is None:
            self.stats = np.zeros((3, 0))
        if self.weights is None:
            self.weights = np.full(self.bucket_count(), START_WEIGHT, dtype=np.float32)

    # ----- shape -----------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """The extended vocabulary's size."""
        return self.base_size + len(self.words)

    @property
    def order(self) -> int:
        return self.counts.order

    @property
    def tokens(self) -> int:
        return self.counts.tokens

    def bucket_count(self) -> int:
        return 1 + (self.counts.order - 1) * COUNT_BUCKETS  # as NGramTable.bucket_count

    @property
    def table(self) -> NGramTable:
        """The user model over the extended vocabulary (estimated again after learning)."""
        if self._table is None or self._table.vocab_size != self.size:
            self._table = self.counts.table(self.size)
            self._set_shares()
        return self._table

    def _set_shares(self) -> None:
        """The unknown token's share of the base stays with words not learned (+1 for
        those never seen); the rest goes to the new words by their learned counts."""
        learned = np.bincount(self.counts.grams[:, -1], weights=self.counts.counts,
                              minlength=self.size)[self.base_size:]
        total = learned.sum() + self.unknown + 1.0
        self._shares = (learned / total).astype(np.float32)
        self._unknown_share = float((self.unknown + 1.0) / total)

    # ----- mixing ----------------------------------------------------------------------------
    def extend(self, base: np.ndarray) -> np.ndarray:
        """(rows, base_size) base probabilities -> (rows, size): the unknown token's share
        goes to the new words."""
        self.table  # noqa: B018  (computes the shares)
        if not self.words:
            return base
        extended = np.empty((len(base), self.size), dtype=np.float32)
        extended[:, :self.base_size] = base
        unknown = base[:, UNK_ID:UNK_ID + 1]
        np.multiply(unknown, self._shares[None], out=extended[:, self.base_size:])
        extended[:, UNK_ID] *= self._unknown_share
        return extended

    def mix(self, base: np.ndarray, history: np.ndarray, sparse: bool) -> np.ndarray:
        """The final distribution (rows, size) from the base's (rows, base_size).

        history: (rows, >= order - 1) extended ids right-aligned, -1 where there is none.
        """
        return self.table.mix_rows(self.extend(base), history, self.weights, sparse)

    def base_target(self, base: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Each row's probability of its target under the extended base, from (rows,
        base_size) base probabilities (no (rows, size) array is built)."""
        self.table  # noqa: B018  (computes the shares)
        rows = np.arange(len(targets))
        p = base[rows, np.minimum(targets, self.base_size - 1)].astype(np.float64)
        new = targets >= self.base_size
        p[new] = base[rows[new], UNK_ID] * self._shares[targets[new] - self.base_size]
        unknown = targets == UNK_ID
        p[unknown] *= self._unknown_share
        return p

    def user_target(self, history: np.ndarray, targets: np.ndarray):
        """(user probability of each target, bucket) for (rows, keep) extended histories."""
        user, buckets = self.table.history_distributions(history)
        return user[np.arange(len(targets)), targets].astype(np.float64), buckets

    # ----- learning --------------------------------------------------------------------------
    def copy(self) -> "UserLayer":
        """A copy to learn into while this one serves; the estimated model comes along (it
        is replaced, never changed, when the counts grow)."""
        copied = dataclasses.replace(self)
        if self._table is not None:
            copied._table, copied._shares = self._table, self._shares
            copied._unknown_share = self._unknown_share
        return copied

    def add_words(self, words: list) -> None:
        self.words = self.words + list(words)

    def record(self, base: np.ndarray, user: np.ndarray, buckets: np.ndarray) -> None:
        """Keep scored positions (before their text was counted) and fit the weights again."""
        new = np.stack([base, user, buckets.astype(np.float64)])
        self.stats = np.concatenate([self.stats, new], axis=1)[:, -STATS:]
        if self.stats.shape[1]:
            self.weights = fit_mixture(self.stats[0], self.stats[1],
                                       self.stats[2].astype(np.int64), self.bucket_count())

    def count(self, lines_ids: list, unknown: int = 0) -> None:
        """Add lines of extended ids (each a line's tokens, no end-of-line) to the counts."""
        stream = [PAD_ID] * (self.counts.order - 2) + [EOL_ID]
        for ids in lines_ids:
            stream += list(ids) + [EOL_ID]
        added = NGramCounts.count(np.array(stream, dtype=np.int64), self.counts.order)
        self.counts = self.counts.merged(added)
        self.lines += len(lines_ids)
        self.unknown += unknown
        self._table = None

    # ----- storage ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The layer as .npz bytes; the estimated model goes with the counts, so loading a
        learned model does not estimate it again (half a second for a megabyte learned)."""
        buffer = io.BytesIO()
        table = {f"table_{i}": array for i, array in enumerate(self.table.arrays())}
        np.savez(  # not compressed here: the archive deflates it fast (storage.py)
            buffer, base_size=np.int64(self.base_size), order=np.int64(self.counts.order),
            grams=self.counts.grams, counts=self.counts.counts,
            words=np.array(self.words, dtype=str) if self.words else np.zeros(0, dtype="<U1"),
            stats=self.stats, weights=self.weights,
            lines=np.int64(self.lines), unknown=np.int64(self.unknown),
            forms=np.frombuffer(self.forms.to_bytes(), dtype=np.uint8),
            chained=np.int64(1), **table)  # chained keys (absent in format 1: packed)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, base_size: int) -> "UserLayer":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                values = {name: arrays[name] for name in arrays.files}
            layer = cls(int(values["base_size"]),
                        NGramCounts(int(values["order"]), values["grams"].astype(np.int32),
                                    values["counts"].astype(np.int64)),
                        [str(word) for word in values["words"]],
                        values["stats"].astype(np.float64),
                        values["weights"].astype(np.float32),
                        int(values["lines"]), int(values["unknown"]),
                        SurfaceForms.from_bytes(values["forms"].tobytes()
                                                if "forms" in values else None))
            parts = sorted((name for name in values if name.startswith("table_")),
                           key=lambda name: int(name[6:]))
            if parts:
                layer._table = NGramTable.from_arrays(layer.size, [values[n] for n in parts],
                                                      packed="chained" not in values)
                layer._set_shares()
        except (ValueError, KeyError, OSError, EOFError) as error:
            raise NextwordError(f"the learned words in the model file are damaged ({error}); "
                                "remove them with `nextword learn --reset`") from None
        if layer.base_size != base_size or layer.counts.max_id() >= layer.size \
                or len(layer.weights) != layer.bucket_count() \
                or layer._table is not None and len(layer._table.unigram) != layer.size:
            raise NextwordError("the learned words in the model file do not fit its "
                                "vocabulary; remove them with `nextword learn --reset`")
        return layer
