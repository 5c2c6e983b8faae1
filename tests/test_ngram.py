"""The Kneser-Ney n-gram model against a plain reference, its mixture, and its pruning."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from nextword.errors import NextwordError
from nextword.ngram.estimate import COUNT_BUCKETS
from nextword.ngram.kneser_ney import NGramTable
from nextword.ngram.mixture import fit_mixture, mix


def reference_kn(ids, vocab_size, order):
    """Interpolated modified Kneser-Ney written out plainly, for one history at a time."""
    ids = list(ids)
    counts = {order: Counter(tuple(ids[t - order + 1:t + 1]) for t in range(order - 1, len(ids)))}
    for n in range(order - 1, 0, -1):  # continuation counts: distinct left extensions
        counts[n] = Counter(gram[1:] for gram in counts[n + 1])

    def discounts(values):
        n1, n2, n3, n4 = (sum(1 for v in values if v == k) for k in (1, 2, 3, 4))
        if min(n1, n2, n3, n4) == 0:
            return [0.5, 1.0, 1.5]
        y = n1 / (n1 + 2 * n2)
        return [min(max(d, 0), cap) for d, cap in
                ((1 - 2 * y * n2 / n1, 1), (2 - 3 * y * n3 / n2, 2), (3 - 4 * y * n4 / n3, 3))]

    tables = {}
    for n in range(1, order + 1):
        d = discounts(list(counts[n].values()))
        by_context = defaultdict(dict)
        for gram, c in counts[n].items():
            by_context[gram[:-1]][gram[-1]] = c
        tables[n] = (d, by_context)

    def probability(history, n):
        d, by_context = tables[n]
        if n == 1:
            seen = by_context[()]
            total = sum(seen.values())
            alphas = {w: max(c - d[min(c, 3) - 1], 0) / total for w, c in seen.items()}
            uniform = np.full(vocab_size, 1 / (vocab_size - 1))
            uniform[0] = 0
            out = (1 - sum(alphas.values())) * uniform
            for w, a in alphas.items():
                out[w] += a
            return out
        if len(history) < n - 1:  # too short a history for this order
            return probability(history, n - 1)
        lower = probability(history[len(history) - (n - 2):] if n > 2 else [], n - 1)
        context = tuple(history[-(n - 1):])
        if context not in by_context:
            return lower
        seen = by_context[context]
        total = sum(seen.values())
        alphas = {w: max(c - d[min(c, 3) - 1], 0) / total for w, c in seen.items()}
        out = (1 - sum(alphas.values())) * lower
        for w, a in alphas.items():
            out[w] += a
        return out

    return lambda history: probability(list(history)[-(order - 1):], order)


def zipf_ids(length, vocab_size, seed=0):
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, vocab_size)
    ids = rng.choice(np.arange(1, vocab_size), size=length, p=weights / weights.sum())
    ids[::5] = ids[::5] % 4 + 1  # some repeated structure, so that long contexts recur
    return ids


@pytest.mark.parametrize("order", [2, 3, 4])
def test_distributions_equal_the_plain_reference(order):
    vocab_size = 25
    ids = zipf_ids(4000, vocab_size)
    table = NGramTable.build(ids, vocab_size, order)
    reference = reference_kn(ids, vocab_size, order)
    rng = np.random.default_rng(1)
    histories = [ids[s:s + order - 1] for s in rng.integers(0, len(ids) - order, 30)]
    histories += [rng.integers(1, vocab_size, order - 1) for _ in range(10)]  # often unseen
    probabilities, _ = table.distributions(np.array(histories))
    for history, row in zip(histories, probabilities):
        np.testing.assert_allclose(row, reference(history), atol=1e-6)
        assert row.sum() == pytest.approx(1.0, abs=1e-5) and row[0] == 0.0


def test_short_histories_back_off_to_lower_orders():
    vocab_size = 25
    ids = zipf_ids(3000, vocab_size)
    table = NGramTable.build(ids, vocab_size, 4)
    reference = reference_kn(ids, vocab_size, 4)
    history = np.array([[0, 0, ids[10]], [0, ids[9], ids[10]]])
    probabilities, buckets = table.distributions(history, lengths=np.array([1, 2]))
    np.testing.assert_allclose(probabilities[0], reference([ids[10]]), atol=1e-6)
    np.testing.assert_allclose(probabilities[1], reference([ids[9], ids[10]]), atol=1e-6)
    assert buckets[0] <= COUNT_BUCKETS < buckets[1] <= 2 * COUNT_BUCKETS


@pytest.mark.parametrize("lower", [2, 3, 5])
def test_one_search_gives_the_lower_order_distributions_too(lower):
    vocab_size = 25
    ids = zipf_ids(4000, vocab_size)
    table = NGramTable.build(ids, vocab_size, 4)
    rng = np.random.default_rng(2)
    history = np.array([ids[s:s + 3] for s in rng.integers(0, len(ids) - 3, 30)])
    history[:5, 0] = -1  # the start of a text: fewer ids
    history[:2, 1] = -1
    full, buckets, lows = table.history_distributions(history, lower=(lower, 3))
    alone, alone_buckets = table.history_distributions(history)
    np.testing.assert_array_equal(buckets, alone_buckets)
    np.testing.assert_allclose(full, alone, atol=1e-7)
    for order, low in zip((lower, 3), lows):
        np.testing.assert_allclose(low, table.history_distributions(history, order=order)[0],
                                   atol=1e-7)
    # A history shorter than the table's order reads the columns it has.
    np.testing.assert_allclose(table.history_distributions(history[:, 1:])[0],
                               table.history_distributions(history, order=3)[0], atol=1e-7)


@pytest.mark.parametrize("max_entries", [0, 700])
def test_target_probabilities_equal_the_distributions(max_entries):
    """probabilities_of (scoring, the mixture's fitting) gives each row's entry of
    distributions and the same buckets, short, unseen and pruned contexts included."""
    vocab_size = 25
    ids = zipf_ids(4000, vocab_size)
    table = NGramTable.build(ids, vocab_size, 5, max_entries=max_entries)
    rng = np.random.default_rng(2)
    starts = rng.integers(0, len(ids) - 5, 200)
    history = np.array([ids[s:s + 4] for s in starts] + [rng.integers(1, vocab_size, 4)
                                                         for _ in range(50)])
    targets = np.concatenate([ids[starts + 4], rng.integers(1, vocab_size, 50)])
    lengths = rng.integers(0, 5, len(history))
    probabilities, buckets = table.distributions(history, lengths)
    p, same_buckets = table.probabilities_of(history, targets, lengths)
    np.testing.assert_allclose(p, probabilities[np.arange(len(targets)), targets], rtol=1e-5)
    np.testing.assert_array_equal(same_buckets, buckets)


def test_held_out_positions_are_not_counted():
    # 3 4 5 occurs only where the targets are held out: the model must not have seen "4 -> 5".
    ids = np.array([1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 5, 1, 2, 1, 2])
    keep = np.ones(len(ids), dtype=bool)
    keep[8:11] = False
    table = NGramTable.build(ids, 6, 3, keep=keep)
    probabilities, buckets = table.distributions(np.array([[3, 4]]))
    assert buckets[0] == 0  # neither "3 4" nor "4" was seen as a context
    assert probabilities[0, 5] == pytest.approx(table.unigram[5])
    seen, _ = table.distributions(np.array([[1, 2]]))
    assert seen[0].argmax() == 1


def test_pruning_fits_the_budget_and_keeps_distributions_whole():
    vocab_size = 25
    ids = zipf_ids(4000, vocab_size)
    full = NGramTable.build(ids, vocab_size, 4)
    pruned = NGramTable.build(ids, vocab_size, 4, max_entries=full.entries // 2)
    assert pruned.entries <= full.entries // 2
    assert len(pruned.orders[0].words) == len(full.orders[0].words)  # bigrams are kept
    history = np.array([ids[s:s + 3] for s in range(0, 300, 7)])
    probabilities, _ = pruned.distributions(history)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_arrays_round_trip():
    ids = zipf_ids(1000, 12)
    table = NGramTable.build(ids, 12, 3)
    again = NGramTable.from_arrays(12, table.arrays())
    history = np.array([ids[s:s + 2] for s in range(50)])
    np.testing.assert_array_equal(table.distributions(history)[0],
                                  again.distributions(history)[0])


def test_high_orders_over_a_large_vocabulary_equal_the_reference():
    """Contexts are keyed by the row of their shorter context, not by their ids packed into
    one number, so the order is not capped by the vocabulary (it was 4 at 100,000 words)."""
    vocab_size, order = 100_000, 7
    small = zipf_ids(3000, 30)
    ids = np.where(small > 0, small * 3331 % (vocab_size - 1) + 1, 0)  # ids spread wide
    table = NGramTable.build(ids, vocab_size, order)
    assert table.order == order
    reference = reference_kn(ids, vocab_size, order)
    rng = np.random.default_rng(2)
    histories = [ids[s:s + order - 1] for s in rng.integers(0, len(ids) - order, 8)]
    histories.append(np.concatenate([[vocab_size - 1], ids[10:10 + order - 2]]))  # unseen
    probabilities, buckets = table.distributions(np.array(histories))
    for history, row in zip(histories, probabilities):
        np.testing.assert_allclose(row, reference(history), atol=1e-6)
    assert buckets[:-1].min() > (order - 2) * COUNT_BUCKETS  # the longest order was found
    for history, row, bucket in zip(histories, probabilities, buckets):
        weight, parts, sparse_bucket = table.lookup(history)
        dense = weight * table.unigram.astype(np.float64)
        for words, alphas, scale in parts:
            np.add.at(dense, words, scale * alphas.astype(np.float64))
        np.testing.assert_allclose(dense, row, atol=1e-6)
        assert sparse_bucket == bucket
    contexts = table.context_ids(order)  # every context's ids, back from the keys
    keys, shorter = table.find(contexts)
    rows, found = table.search(order, keys)
    assert shorter.all() and found.all() and np.array_equal(rows, np.arange(len(contexts)))


def packed(table):
    """The arrays of a table as files written before December 2026 kept them: each context
    keyed by its ids packed into one number, oldest most significant."""
    from nextword.ngram.kneser_ney import _rekeyed

    arrays = [table.unigram]
    for n, order in enumerate(table.orders, start=2):
        keys = np.zeros(len(order.keys), dtype=np.int64)
        for column in table.context_ids(n).T:
            keys = keys * table.vocab_size + column
        old = _rekeyed(order, keys)
        arrays += [old.keys, old.starts, old.classes, old.gammas, old.words, old.alphas]
    return arrays


def test_packed_tables_of_older_files_are_converted():
    ids = zipf_ids(3000, 40)
    table = NGramTable.build(ids, 40, 5, max_entries=2000)
    old = packed(table)
    assert not all(np.array_equal(a, b) for a, b in zip(old, table.arrays()))
    again = NGramTable.from_arrays(40, old, packed=True)
    for mine, theirs in zip(again.arrays(), table.arrays()):
        np.testing.assert_array_equal(mine, theirs)


def test_mixture_weights_follow_the_better_model_per_bucket():
    rng = np.random.default_rng(0)
    buckets = rng.integers(0, 2, 2000)
    network = np.where(buckets == 0, 0.6, 0.01) * rng.uniform(0.8, 1.2, 2000)
    ngram = np.where(buckets == 0, 0.01, 0.6) * rng.uniform(0.8, 1.2, 2000)
    weights = fit_mixture(network, ngram, buckets, bucket_count=3)
    assert weights[0] > 0.9 and weights[1] < 0.1
    # No data in bucket 2: the weight fitted over all positions, as if they were one bucket.
    overall = fit_mixture(network, ngram, np.zeros(2000, dtype=np.int64), bucket_count=1)[0]
    assert 0.2 < overall < 0.8 and weights[2] == pytest.approx(overall, abs=1e-6)
    # Each row mixes with its own bucket's weight of the network.
    mixed = mix(np.array([[0.2, 0.8], [0.2, 0.8]]), np.array([[0.6, 0.4], [0.6, 0.4]]),
                np.array([0, 1]), weights)
    np.testing.assert_allclose(mixed, [[0.2 * weights[0] + 0.6 * (1 - weights[0]),
                                        0.8 * weights[0] + 0.4 * (1 - weights[0])],
                                       [0.2 * weights[1] + 0.6 * (1 - weights[1]),
                                        0.8 * weights[1] + 0.4 * (1 - weights[1])]], rtol=1e-6)


def test_a_budget_below_the_bigrams_keeps_just_the_bigrams():
    ids = zipf_ids(2000, 25)
    table = NGramTable.build(ids, 25, 4, max_entries=10)
    assert [len(o.words) > 0 for o in table.orders] == [True, False, False]
    probabilities, _ = table.distributions(np.array([ids[5:8]]))
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_counting_in_chunks_equals_counting_at_once(monkeypatch):
    import nextword.ngram.estimate as ngram

    ids = zipf_ids(5000, 25)
    keep = np.random.default_rng(2).random(5000) > 0.1
    whole = NGramTable.build(ids, 25, 4, keep=keep)
    monkeypatch.setattr(ngram, "CHUNK", 333)
    chunked = NGramTable.build(ids, 25, 4, keep=keep)
    for a, b in zip(whole.arrays(), chunked.arrays()):
        np.testing.assert_array_equal(a, b)
    sampled = NGramTable.build(ids, 25, 4, max_tokens=1000)  # 3 spread chunks of 333
    assert sampled.entries < whole.entries
    np.testing.assert_allclose(sampled.unigram.sum(), 1.0, atol=1e-5)


def test_counts_give_the_same_table_and_grow_with_the_vocabulary():
    from nextword.ngram.counts import NGramCounts

    ids = zipf_ids(5000, 25)
    counts = NGramCounts.count(ids, 4)
    for a, b in zip(NGramTable.build(ids, 25, 4).arrays(), counts.table(25).arrays()):
        np.testing.assert_array_equal(a, b)
    again = NGramCounts.from_bytes(counts.to_bytes())
    np.testing.assert_array_equal(again.grams, counts.grams)
    assert again.tokens == counts.tokens == 5000 - 3
    # Merging: weighted, summed n-gram by n-gram; a larger vocabulary keeps the same ids.
    more = NGramCounts.count(np.append(ids, [30, 31, 30, 31]), 4)
    merged = counts.merged(more, weight=2.0)
    assert merged.tokens == 2 * counts.tokens + more.tokens
    table = merged.table(32)
    probabilities, _ = table.distributions(np.array([[31, 30, 31]]))
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert probabilities[0].argmax() == 30


def test_damaged_counts_are_a_one_line_error():
    from nextword.ngram.counts import NGramCounts

    with pytest.raises(NextwordError, match="damaged"):
        NGramCounts.from_bytes(b"not an npz")


def test_weighted_counts_never_give_a_word_probability_zero():
    """Counts of counts as tripled base counts plus a little new text make them: many
    n-grams seen 3 times, few twice. D2 must not be estimated as 0."""
    from nextword.ngram.counts import NGramCounts

    rng = np.random.default_rng(0)
    pairs = {(int(a), int(b)) for a, b in rng.integers(1, 60, size=(900, 2))}
    grams = np.array(sorted(pairs), dtype=np.int32)
    counts = np.full(len(grams), 3, dtype=np.int64)
    counts[:100] = 1
    counts[100:110] = 2
    counts[110:120] = 4
    twice = int(grams[105, 0])
    counts[grams[:, 0] == twice] = 2
    table = NGramCounts(2, grams, counts).table(60)
    probabilities, _ = table.distributions(np.array([[twice]]))
    assert probabilities[0, 1:].min() > 0
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
