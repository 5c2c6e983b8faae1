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
Lower orders use continuation counts (Kneser & Ney 1995) and three discounts per order (Chen &
Goodman 1998). Pruned entries give their mass to gamma, so every distribution sums to one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import loglinear
from ..errors import NextwordError

COUNT_BUCKETS = 6  # context counts 1, 2-3, 4-7, 8-15, 16-31, 32+
CHUNK = 1 << 22  # positions counted at a time


@dataclass
class Order:
    """The arrays of one order n >= 2."""
    keys: np.ndarray  # int64 (contexts,), sorted
    starts: np.ndarray  # int32 (contexts + 1,): entries of context i are starts[i]:starts[i+1]
    classes: np.ndarray  # int8 (contexts,): floor(log2(context count)), capped (buckets)
    gammas: np.ndarray  # float32 (contexts,): back-off weight
    words: np.ndarray  # int32 (entries,)
    alphas: np.ndarray  # float32 (entries,)


def _discounts(counts: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney discounts D1, D2, D3+ from the count-of-counts (Chen & Goodman)."""
    n = [int((counts == k).sum()) for k in (1, 2, 3, 4)]
    if min(n) == 0:  # too little text for the estimate: the usual constant discounts
        return np.array([0.5, 1.0, 1.5])
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    # A floor: counts merged with a weight (train --from --base-weight 3) can make a count-of-
    # counts estimate 0, and a context whose entries are all undiscounted gives every other
    # word probability 0. Real text estimates far above it (D1 0.6-0.8 on KJV).
    return np.clip(d, np.array([0.05, 0.1, 0.15]), np.array([1.0, 2.0, 3.0]))


def group_rows(grams: np.ndarray, counts: np.ndarray | None = None, inverse: bool = False):
    """Distinct rows of grams (entries, n), sorted column by column (the first column first),
    with how often each occurred, or their summed counts; with inverse, also the index of each
    input row among the distinct ones."""
    if len(grams) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return (grams, empty, empty) if inverse else (grams, empty)
    packed = _sort_keys(grams)
    # lexsort's last key is the primary one: ten times faster than np.unique(axis=0).
    order = np.lexsort(packed[::-1]) if len(packed) > 1 else np.argsort(packed[0], kind="stable")
    grams = grams[order]
    packed = [column[order] for column in packed]
    new = np.zeros(len(grams), dtype=bool)
    new[0] = True
    for column in packed:
        new[1:] |= column[1:] != column[:-1]
    first = np.flatnonzero(new)
    if counts is None:
        counts = np.diff(np.append(first, len(grams)))
    else:
        counts = np.add.reduceat(counts[order], first)
    if not inverse:
        return grams[first], counts.astype(np.int64)
    where = np.empty(len(grams), dtype=np.int64)
    where[order] = np.cumsum(new) - 1
    return grams[first], counts.astype(np.int64), where


def _ranges(begins: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """begins[0] .. begins[0] + sizes[0] - 1, then begins[1] ..., as one index array."""
    return np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes) \
        + np.repeat(begins, sizes)


def _sort_keys(grams: np.ndarray) -> list:
    """The columns of grams packed, as many to an int64 as their ids' bits allow, first column
    most significant: sorting by the keys in turn sorts the rows column by column, and a
    sort on one or two keys is several times faster than on five."""
    bits = max(int(grams.max(initial=0)).bit_length(), 1)
    per_key = max(63 // bits, 1)
    keys = []
    for first in range(0, grams.shape[1], per_key):
        key = np.zeros(len(grams), dtype=np.int64)
        for column in range(first, min(first + per_key, grams.shape[1])):
            key = (key << bits) | grams[:, column].astype(np.int64)
        keys.append(key)
    return keys


def _count(ids, order: int, keep, max_tokens: int):
    """(grams, counts): every n-gram of the highest order as ids (entries, order), oldest
    first, sorted, with how often each occurred.

    Counted CHUNK positions at a time from `ids` (a memory map is fine) and merged, so memory
    follows the number of distinct n-grams, not the corpus; over max_tokens positions, only
    evenly spread chunks adding up to about max_tokens are counted.
    """
    begins = list(range(order - 1, len(ids), CHUNK))
    if max_tokens and len(ids) > max_tokens:
        picked = np.linspace(0, len(begins) - 1, max(1, max_tokens // CHUNK)).round()
        begins = [begins[i] for i in sorted(set(picked.astype(int)))]
    grams = np.zeros((0, order), dtype=np.int32)
    counts = np.zeros(0, dtype=np.int64)
    for begin in begins:
        end = min(begin + CHUNK, len(ids))
        block = np.asarray(ids[begin - order + 1:end], dtype=np.int32)
        positions = np.arange(order - 1, len(block))
        if keep is not None:
            positions = positions[np.asarray(keep[begin:end])]
        chunk = group_rows(np.stack([block[positions - (order - 1 - k)] for k in range(order)],
                                    axis=1))
        grams, counts = chunk if len(grams) == 0 else group_rows(
            np.concatenate([grams, chunk[0]]), np.concatenate([counts, chunk[1]]))
    return grams, counts


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
        grams, counts = _count(ids, order, keep, max_tokens)
        return cls.from_grams(grams, counts, vocab_size, max_entries)

    @classmethod
    def from_grams(cls, grams: np.ndarray, counts: np.ndarray, vocab_size: int,
                   max_entries: int = 0) -> "NGramTable":
        """The model from the counts of its highest order: grams (entries, order) of ids,
        oldest first, distinct and sorted (as group_rows leaves them), and how often each was
        seen (see build and counts.py)."""
        order = grams.shape[1]
        # The highest order counts occurrences; each lower order counts distinct left words.
        # suffix[n][i]: the row among order n - 1's grams of order n's gram i without its
        # oldest id, which names the row of its context's newest n - 2 ids (below).
        tables, suffix = {}, {}
        for n in range(order, 1, -1):
            tables[n] = (grams, counts)
            grams, counts, suffix[n] = group_rows(grams[:, 1:], inverse=True)
        # What is left is order 1: one empty context, whose back-off is the uniform
        # distribution over every id but padding (never a next token).
        first = _finish(np.zeros(len(grams), dtype=np.int64), grams[:, -1], counts)
        gamma = float(first.gammas[0]) if len(first.gammas) else 1.0
        unigram = np.full(vocab_size, gamma / max(vocab_size - 1, 1))
        unigram[0] = 0.0
        unigram[first.words] += first.alphas
        counts_of = {n: counts for n, (_, counts) in tables.items()}
        threshold = _thresholds(counts_of, max_entries - vocab_size) if max_entries \
            else {n: 1 for n in tables}
        table = cls(vocab_size, unigram, [])
        context_row = None  # the table row of each gram's context, in the order below
        for n in range(2, order + 1):  # keys name rows of the order below: lowest first
            grams, counts = tables[n]
            # Sorted column by column, each context's entries are one run, its words sorted.
            new_context = np.ones(len(grams), dtype=bool)
            new_context[1:] = (grams[1:, :-1] != grams[:-1, :-1]).any(axis=1)
            begins = np.flatnonzero(new_context)
            # A context's key: the row of its newest n - 2 ids among order n - 1's contexts
            # (the context of its gram without the oldest id) * V + its oldest id; no search.
            keys = grams[begins, 0].astype(np.int64)
            if n > 2:
                keys += context_row[suffix[n][begins]] * vocab_size
            by_key = np.argsort(keys, kind="stable")
            rank = np.empty(len(keys), dtype=np.int64)
            rank[by_key] = np.arange(len(keys))  # the row each context gets in the table
            context_row = rank[np.cumsum(new_context) - 1]
            sizes = np.diff(np.append(begins, len(grams)))[by_key]
            entry = _ranges(begins[by_key], sizes)
            table.orders.append(_finish(np.repeat(keys[by_key], sizes), grams[entry, -1],
                                        counts[entry], threshold[n]))
            if len(table.orders[-1].words) >= 2 ** 31:
                raise NextwordError("the n-gram model would have over 2^31 entries in one "
                                    "order; set --ngram-max-entries (or a lower --ngram-order)")
        return table

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
            entry = _ranges(begin, sizes)
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
    entry = _ranges(starts[:-1][by_key], sizes)
    return Order(keys=keys[by_key].astype(np.int64),
                 starts=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32),
                 classes=order.classes[by_key], gammas=order.gammas[by_key],
                 words=order.words[entry], alphas=order.alphas[entry])


def histories(ids: np.ndarray, first: int, count: int, keep: int) -> np.ndarray:
    """The `keep` ids up to and including each of `count` positions from `first`, per row.

    ids: (rows, time); returns (rows * count, keep) in the order of a (rows, count) reshape,
    ready for NGramTable.distributions. Positions need keep - 1 ids before them.
    """
    windows = np.lib.stride_tricks.sliding_window_view(ids, keep, axis=1)
    return windows[:, first - keep + 1:first - keep + 1 + count].reshape(-1, keep)


def _discount_of(counts: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.where(counts >= 3, d[2], np.where(counts == 2, d[1], np.where(counts == 1, d[0], 0)))


def _thresholds(counts_of: dict, budget: int) -> dict:
    """The least count an entry of each order needs to be kept so that the entries fit budget.

    counts_of: each order's entry counts. Rare entries go first, highest orders first; bigrams are never pruned (nor unigrams, which
    are not entries), so a budget below their number leaves just them.
    """
    threshold = {n: 1 for n in counts_of}
    largest = {n: int(counts.max(initial=0)) for n, counts in counts_of.items()}
    prunable = [n for n in counts_of if n >= 3]

    def size():
        return sum(int((counts >= threshold[n]).sum()) for n, counts in counts_of.items())

    while size() > budget:
        left = [n for n in prunable if threshold[n] <= largest[n]]
        if not left:
            break
        n = min(left, key=lambda m: (threshold[m], -m))
        threshold[n] += 1
    return threshold


def _finish(keys, words, counts, threshold: int = 1) -> Order:
    """Discounted entries and back-off weights of one order from its (key, word, count)s."""
    counts = counts.astype(np.float64)
    d = _discounts(counts)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(first)
    context_of = np.cumsum(first) - 1
    totals = np.add.reduceat(counts, starts) if len(starts) else np.zeros(0)
    alphas = np.maximum(counts - _discount_of(counts, d), 0.0) / totals[context_of]
    kept = counts >= threshold
    kept_mass = np.bincount(context_of[kept], weights=alphas[kept], minlength=len(starts))
    gammas = np.clip(1.0 - kept_mass, 0.0, 1.0)
    # Contexts keep their statistics even when all their entries were pruned.
    sizes = np.bincount(context_of[kept], minlength=len(starts))
    return Order(keys=keys[starts].astype(np.int64),
                 starts=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32),
                 classes=np.minimum(np.frexp(totals)[1] - 1, COUNT_BUCKETS - 1).astype(np.int8),
                 gammas=gammas.astype(np.float32),
                 words=words[kept].astype(np.int32), alphas=alphas[kept].astype(np.float32))


def fit_mixture(network: np.ndarray, ngram: np.ndarray, buckets: np.ndarray, bucket_count: int,
                iterations: int = 30, min_tokens: int = 20) -> np.ndarray:
    """Per-bucket weights of the network in the mixture, by EM on held-out targets.

    network, ngram: each model's probability of the actual next token at held-out positions;
    buckets: each position's bucket. Returns float32 (bucket_count,) weights in [0, 1] that
    maximise the mixture's held-out likelihood; buckets with fewer than min_tokens positions
    share the weight fitted over all positions.
    """
    network = np.asarray(network, dtype=np.float64)
    ngram = np.asarray(ngram, dtype=np.float64)
    shared = 0.5
    for _ in range(iterations):
        mixed = shared * network + (1 - shared) * ngram
        shared = float(np.mean(shared * network / np.maximum(mixed, 1e-300)))
    weights = np.full(bucket_count, shared)
    sizes = np.bincount(buckets, minlength=bucket_count)
    for _ in range(iterations):
        w = weights[buckets]
        posterior = w * network / np.maximum(w * network + (1 - w) * ngram, 1e-300)
        sums = np.bincount(buckets, weights=posterior, minlength=bucket_count)
        weights = np.where(sizes >= min_tokens, sums / np.maximum(sizes, 1), shared)
    return np.clip(weights, 0.0, 1.0).astype(np.float32)


def mix(network: np.ndarray, ngram: np.ndarray, buckets: np.ndarray, weights: np.ndarray,
        unigram: np.ndarray | None = None, lowers: list = (),
        unigram_logs: np.ndarray | None = None):
    """The mixture's probabilities: w[bucket] * network + (1 - w[bucket]) * ngram, per row.

    weights: (buckets,) network weights, or (buckets, 1 + factors) rows [w, a, c, d, u, l...]
    whose exponents then correct the linear mixture (loglinear.py), with the n-gram model's
    unigram and its distributions at loglinear.lower_orders(weights) (history_distributions'
    lower); unigram_logs: loglinear.unigram_logs(unigram) where the caller keeps it."""
    if np.ndim(weights) == 2:
        if unigram_logs is None:
            unigram_logs = loglinear.unigram_logs(unigram)
        return loglinear.apply(network, ngram, list(lowers), weights, buckets, unigram_logs)
    w = weights[buckets][:, None]
    return w * network + (1.0 - w) * ngram
