"""A count-based n-gram model (interpolated modified Kneser-Ney) to mix with the network.

Recurrent networks generalise; n-gram counts remember exact phrases, which repetitive text (a
bible, legal or technical prose) is full of. Mixing the two beats either alone (Mikolov 2012,
Grave et al. 2017). The counts come from the same id stream the network trains on, in one
numpy pass, and are stored as arrays inside the .keras file (NGramMixture in layers.py).

Layout: for each order n = 2..N, the contexts seen, each with the start of its entries, its
count and its back-off weight gamma; entries hold a next word and its discounted probability
alpha, grouped by context. Then p_n(w | h) = alpha(h, w) + gamma(h) * p_{n-1}(w | h'), with p_1
a dense vector. A context is keyed by its row among the contexts of the order below (its n-2
newest ids, which are always a context there) and its oldest id: key = row * V + oldest, and a
one-word context's key is the word. Keys are sorted, so a history is found by one binary search
per order, newest word first, and a key stays small whatever the order and the vocabulary
(some files of model format 1 packed the n-1 ids into one int64, which capped the order at 5
for 10,000 words and 4 for 50,000; from_arrays converts them).
The model is estimated by estimate.py and mixed with the network by mixture.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import NextwordError
from . import loglinear
from .estimate import COUNT_BUCKETS, Order, count_grams, estimate, ranges
from .mixture import mix


class NGramTable:
    """Interpolated modified Kneser-Ney probabilities over a fixed vocabulary of ids."""

    def __init__(self, vocab_size: int, unigram: np.ndarray, orders: list[Order]):
        self.vocab_size = vocab_size
        self.unigram = unigram.astype(np.float32)
        self.orders = orders  # orders[i] is order i + 2
        self._entry_key_cache = {}  # _entry_keys: built on first use (scoring only)
        self._unigram_log_cache = None  # _unigram_logs: built on first use

    @property
    def order(self) -> int:
        return len(self.orders) + 1

    @property
    def entries(self) -> int:
        return sum(len(o.words) for o in self.orders) + self.vocab_size

    @classmethod
    def build(cls, ids: np.ndarray, vocab_size: int, order: int = 5,
              keep: np.ndarray | None = None, max_entries: int = 0,
              max_tokens: int = 0) -> "NGramTable":
        """Count n-grams of ids (an int array or memory map) up to `order`.

        keep: optional boolean mask over positions; an n-gram counts only when its last token's
            position is kept (held-out text must not be counted).
        max_entries: when positive, entries seen once are dropped from the highest orders
            down (then those seen twice, ...) until at most this many remain; their
            probability mass goes to the lower orders, so distributions still sum to one.
        max_tokens: when positive and the corpus is longer, count evenly spread stretches
            of about this many tokens (bounds the time and memory of counting).
        """
        grams, counts = count_grams(ids, order, keep, max_tokens)
        return cls.from_grams(grams, counts, vocab_size, max_entries)

    @classmethod
    def from_grams(cls, grams: np.ndarray, counts: np.ndarray, vocab_size: int,
                   max_entries: int = 0) -> "NGramTable":
        """The model from the counts of its highest order: grams (entries, order) of ids,
        oldest first, distinct and sorted (as group_rows leaves them), and how often each was
        seen (see build and counts.py); estimated by estimate.py."""
        return cls(vocab_size, *estimate(grams, counts, vocab_size, max_entries))

    # ----- querying ------------------------------------------------------------------------
    def find(self, contexts: np.ndarray):
        """(keys, found) of context rows (rows, L) of ids, oldest first, in order L + 1.

        keys are what order L + 1 would key each row by (meaningful where found); found says
        whether the row's L - 1 newest ids are a context of order L, so that the key could be
        formed (the row itself is found when its key is also among order L + 1's keys). Needs
        orders 2..L.
        """
        contexts = np.asarray(contexts, dtype=np.int64)
        keys = contexts[:, -1].copy() if contexts.shape[1] else np.zeros(len(contexts), np.int64)
        found = np.ones(len(contexts), dtype=bool)
        for length in range(2, contexts.shape[1] + 1):
            where, seen = self.search(length, keys)
            found &= seen
            keys = where * self.vocab_size + contexts[:, -length]
        return keys, found

    def search(self, n: int, keys: np.ndarray):
        """(row, found) of each key among order n's context keys."""
        table_keys = self.orders[n - 2].keys
        if len(table_keys) == 0:
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
        where = np.minimum(np.searchsorted(table_keys, keys), len(table_keys) - 1)
        return where.astype(np.int64), table_keys[where] == keys

    def context_ids(self, n: int) -> np.ndarray:
        """Order n's contexts as ids (contexts, n - 1), oldest first, in the table's order."""
        keys = self.orders[n - 2].keys.astype(np.int64)
        if n == 2:
            return keys[:, None]
        rows, oldest = np.divmod(keys, self.vocab_size)
        return np.column_stack([oldest, self.context_ids(n - 1)[rows]])

    def distributions(self, history: np.ndarray, lengths: np.ndarray | None = None,
                      lower: tuple = ()):
        """Next-id probabilities (rows, vocab) and mixing buckets (rows,) for each history row.

        history: int (rows, N-1), the last N-1 ids of each row, right-aligned; `lengths` says
            how many of them are real (rows at the start of a text have fewer).
        The bucket of a row says how much the n-gram model knows there: the longest context it
        has seen and how often (see bucket_count).
        lower: orders to read the table at as well; then (probabilities, buckets, [the
            probabilities at each order in `lower`]), from one search of the contexts
            (history_distributions with each order gives the same, searching again).
        """
        seen, buckets = self._contexts(history, lengths)
        # Longest context first, as lookup: each order's entries are scaled by the back-off
        # weights of the orders above it, and the unigram by all of them, so the (rows, vocab)
        # array is written once rather than rescaled once per order.
        orders = (self.order,) + tuple(lower)
        scales = [np.ones(len(buckets)) for _ in orders]
        parts = [[] for _ in orders]
        for n, (table, alive, where) in reversed(list(enumerate(seen, start=2))):
            begin, end = table.starts[where], table.starts[where + 1]
            sizes = end - begin
            row_of = np.repeat(alive, sizes)
            entry = ranges(begin, sizes)
            words, alphas, gammas = table.words[entry], table.alphas[entry], table.gammas[where]
            for order, scale, order_parts in zip(orders, scales, parts):
                if n <= order:
                    order_parts.append((row_of, words, alphas * scale[row_of]))
                    scale[alive] *= gammas
        probabilities = [self._scatter(scale, order_parts)
                         for scale, order_parts in zip(scales, parts)]
        if len(orders) > 1:
            return probabilities[0], buckets, probabilities[1:]
        return probabilities[0], buckets

    def _scatter(self, scale: np.ndarray, parts: list) -> np.ndarray:
        """(rows, vocab): the unigram times each row's scale, plus each part's entries."""
        probabilities = scale.astype(np.float32)[:, None] * self.unigram
        for row_of, words, values in parts:  # a (row, word) pair once per order
            probabilities[row_of, words] += values
        return probabilities

    def probabilities_of(self, history: np.ndarray, targets: np.ndarray,
                         lengths: np.ndarray | None = None):
        """(probability of each row's target, buckets): the targets' entries of
        distributions() without the (rows, vocab) array (a tenth of the time for scoring)."""
        seen, buckets = self._contexts(history, lengths)
        targets = np.asarray(targets, dtype=np.int64)
        scale = np.ones(len(buckets))
        p = np.zeros(len(buckets))
        for n, (table, alive, where) in reversed(list(enumerate(seen, start=2))):
            # Entries are sorted by context row, then word: one search over (row, word) keys.
            keys = self._entry_keys(n)
            wanted = where * self.vocab_size + targets[alive]
            at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
            hit = keys[at] == wanted if len(keys) else np.zeros(len(alive), dtype=bool)
            p[alive[hit]] += table.alphas[at[hit]] * scale[alive[hit]]
            scale[alive] *= table.gammas[where]
        return (p + scale * self.unigram[targets]).astype(np.float32), buckets

    def _entry_keys(self, n: int) -> np.ndarray:
        """Order n's entries keyed by context row * V + word (ascending), built once."""
        if n not in self._entry_key_cache:
            table = self.orders[n - 2]
            rows = np.repeat(np.arange(len(table.keys), dtype=np.int64), np.diff(table.starts))
            self._entry_key_cache[n] = rows * self.vocab_size + table.words
        return self._entry_key_cache[n]

    def _contexts(self, history: np.ndarray, lengths: np.ndarray | None):
        """([(order's table, rows whose context it has, their context rows)] lowest order
        first, buckets) for distributions and probabilities_of."""
        history = np.asarray(history, dtype=np.int64)
        rows = len(history)
        if lengths is None:
            lengths = np.full(rows, history.shape[1] if history.ndim == 2 else 0)
        buckets = np.zeros(rows, dtype=np.int64)
        alive = np.flatnonzero(lengths >= 1)  # rows whose context so far is seen
        where = None
        seen = []
        for n, table in enumerate(self.orders, start=2):
            long_enough = lengths[alive] >= n - 1
            alive = alive[long_enough]
            if where is not None:
                where = where[long_enough]
            if len(alive) == 0:
                break
            # This order's key: the row of the context one shorter, and the next older id.
            keys = history[alive, -1] if n == 2 \
                else where * self.vocab_size + history[alive, -(n - 1)]
            where, found = self.search(n, keys)
            alive, where = alive[found], where[found]
            if len(alive) == 0:
                break
            seen.append((table, alive, where))
            buckets[alive] = 1 + (n - 2) * COUNT_BUCKETS + table.classes[where].astype(np.int64)
        return seen, buckets

    def lookup(self, history) -> tuple[float, list, int]:
        """One history's next-id distribution, sparsely: (unigram weight, parts, bucket).

        history: the real ids before the next token, oldest first (only the last order - 1
            matter). The distribution is `unigram weight * unigram` plus, for each part
            (words, alphas, scale), `scale * alphas` at `words` (one part per order whose
            context was seen). It equals a row of `distributions` without
            building a vocabulary-sized vector per order: a prediction step costs a few
            searches and the seen continuations, not the vocabulary.
        """
        history = history.tolist() if isinstance(history, np.ndarray) else list(history)
        # The row of each order's context, shortest first, while they are seen.
        rows = []
        for n in range(2, min(len(history) + 1, self.order) + 1):
            table = self.orders[n - 2]
            key = history[-1] if n == 2 else rows[-1] * self.vocab_size + history[-(n - 1)]
            where = int(table.keys.searchsorted(key))
            if where == len(table.keys) or table.keys[where] != key:
                break
            rows.append(where)
        scale, parts, bucket = 1.0, [], 0
        for n in range(len(rows) + 1, 1, -1):  # the longest context first
            table = self.orders[n - 2]
            where = rows[n - 2]
            begin, end = table.starts[where:where + 2].tolist()
            if end > begin:
                parts.append((table.words[begin:end], table.alphas[begin:end], scale))
            if not bucket:  # the longest context seen names the bucket
                bucket = 1 + (n - 2) * COUNT_BUCKETS + int(table.classes[where])
            scale *= float(table.gammas[where])
        return scale, parts, bucket

    def mix_into(self, network: np.ndarray, history, weights: np.ndarray) -> np.ndarray:
        """The mixture w * network + (1 - w) * n-gram for one history, mixed sparsely.

        network: the network's probabilities (vocab,), overwritten with the mixture, which
        is returned; weights: the network's weight per bucket.
        """
        unigram_weight, parts, bucket = self.lookup(history)
        w = float(weights[bucket])
        mixed = np.multiply(network, np.float32(w), out=network)
        mixed += np.float32((1.0 - w) * unigram_weight) * self.unigram
        if parts:  # one scatter of every order's entries: 1.5x faster than one per order
            words = np.concatenate([words for words, _, _ in parts])
            values = np.concatenate([alphas * np.float32((1.0 - w) * scale)
                                     for _, alphas, scale in parts])
            np.add(mixed, np.bincount(words, values, minlength=len(mixed)), out=mixed,
                   casting="unsafe")
        return mixed

    def history_distributions(self, history: np.ndarray, order: int | None = None,
                              lower: tuple = ()):
        """distributions() of right-aligned histories (rows, >= order - 1), -1 where a row
        has no id yet (the start of a text); extra older columns are ignored. order: a lower
        order to read the model at (its distributions from the last order - 1 ids alone);
        lower: as distributions'."""
        keep = min(order or self.order, self.order) - 1
        history = history[:, max(history.shape[1] - keep, 0):] if keep else history[:, :0]
        return self.distributions(np.maximum(history, 0), (history >= 0).sum(axis=1), lower)

    def _unigram_logs(self) -> np.ndarray:
        """loglinear.unigram_logs of the unigram, computed once."""
        if self._unigram_log_cache is None:
            self._unigram_log_cache = loglinear.unigram_logs(self.unigram)
        return self._unigram_log_cache

    def mix_rows(self, network: np.ndarray, history: np.ndarray, weights: np.ndarray,
                 sparse: bool) -> np.ndarray:
        """The mixture (mix) for each row of (rows, vocab) probabilities.

        history as for history_distributions. sparse: row by row with mix_into (a few rows:
        predicting, a beam), else with whole (rows, vocab) arrays (scoring, and any mixture
        with log-linear exponents, which needs every word's n-gram probability anyway).
        """
        if np.ndim(weights) == 2:
            ngram, buckets, lowers = self.history_distributions(
                history, lower=loglinear.lower_orders(weights))
            return mix(network, ngram, buckets, weights, self.unigram, lowers,
                       self._unigram_logs()).astype(np.float32, copy=False)
        if not sparse:
            ngram, buckets = self.history_distributions(history)
            return mix(network, ngram, buckets, weights).astype(np.float32, copy=False)
        keep = self.order - 1
        rows = [self.mix_into(row, [word for word in h[len(h) - keep:].tolist() if word >= 0],
                              weights) for row, h in zip(network, history)]
        return rows[0][None] if len(rows) == 1 else np.stack(rows)

    def bucket_count(self) -> int:
        return 1 + len(self.orders) * COUNT_BUCKETS

    # ----- arrays for storage --------------------------------------------------------------
    def arrays(self) -> list[np.ndarray]:
        out = [self.unigram]
        for o in self.orders:
            out += [o.keys, o.starts, o.classes, o.gammas, o.words, o.alphas]
        return out

    @classmethod
    def from_arrays(cls, vocab_size: int, arrays, packed: bool = False) -> "NGramTable":
        """The table from arrays() output; packed: arrays of a format-1 file whose context
        keys packed the ids into one number (converted here)."""
        arrays = [np.asarray(a) for a in arrays]
        orders = [Order(*arrays[i:i + 6]) for i in range(1, len(arrays), 6)]
        if not packed:
            return cls(vocab_size, arrays[0], orders)
        table = cls(vocab_size, arrays[0], [])
        for n, order in enumerate(orders, start=2):
            contexts = np.empty((len(order.keys), n - 1), dtype=np.int64)
            rest = order.keys.astype(np.int64)
            for column in range(n - 2, -1, -1):
                rest, contexts[:, column] = np.divmod(rest, vocab_size)
            keys, found = table.find(contexts)
            if not found.all():
                raise NextwordError("the n-gram tables in the model file are damaged (a "
                                    "context whose shorter context is missing); train it again")
            table.orders.append(_rekeyed(order, keys))
        return table


def _rekeyed(order: Order, keys: np.ndarray) -> Order:
    """order with its contexts keyed by keys instead, re-sorted, their entries moved along."""
    by_key = np.argsort(keys, kind="stable")
    starts = order.starts.astype(np.int64)
    sizes = np.diff(starts)[by_key]
    entry = ranges(starts[:-1][by_key], sizes)
    return Order(keys=keys[by_key].astype(np.int64),
                 starts=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32),
                 classes=order.classes[by_key], gammas=order.gammas[by_key],
                 words=order.words[entry], alphas=order.alphas[entry])
