"""Estimating the Kneser-Ney model: counting n-grams, discounts, back-off weights, pruning.

NGramTable (kneser_ney.py) answers queries; this module builds what it holds: one Order of
arrays per order n >= 2 and the unigram vector, from the counts of the highest order.
Lower orders use continuation counts (Kneser & Ney 1995) and three discounts per order (Chen &
Goodman 1998). Pruned entries give their mass to gamma, so every distribution sums to one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def ranges(begins: np.ndarray, sizes: np.ndarray) -> np.ndarray:
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


def count_grams(ids, order: int, keep, max_tokens: int):
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


def estimate(grams: np.ndarray, counts: np.ndarray, vocab_size: int,
             max_entries: int = 0) -> tuple:
    """(unigram, orders) of the interpolated modified Kneser-Ney model from the counts of its
    highest order: grams (entries, order) of ids, oldest first, distinct and sorted (as
    group_rows leaves them), and how often each was seen. max_entries: see NGramTable.build.
    """
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
    orders = []
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
        entry = ranges(begins[by_key], sizes)
        orders.append(_finish(np.repeat(keys[by_key], sizes), grams[entry, -1],
                              counts[entry], threshold[n]))
        if len(orders[-1].words) >= 2 ** 31:
            raise NextwordError("the n-gram model would have over 2^31 entries in one "
                                "order; set --ngram-max-entries (or a lower --ngram-order)")
    return unigram, orders


def _discount_of(counts: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.where(counts >= 3, d[2], np.where(counts == 2, d[1], np.where(counts == 1, d[0], 0)))


def _thresholds(counts_of: dict, budget: int) -> dict:
    """The least count an entry of each order needs to be kept so that the entries fit budget.

    counts_of: each order's entry counts. Rare entries go first, highest orders first;
    bigrams are never pruned (nor unigrams, which are not entries), so a budget below their
    number leaves just them.
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
