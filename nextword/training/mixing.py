"""After training: count the n-gram model, fit its mixture with the network, measure both.

The n-gram model that the mixture weights are fitted with (EM, ngram/mixture.py) counts only
the training windows' targets, so the held-out windows that fit them are text neither model has
seen. Once they are fitted, the held-out text's n-grams are counted too and added, so the
n-gram model kept in the file counts every position: 5% more text for the counts, as a model
is refitted on all its data once its settings are chosen (on KJV: 23.14 perplexity against
23.29 with the same network and weights, top-1 37.37% against 37.31%; benchmarks/README.md).
The held-out figures in the results stay those of the first n-gram model, whose text they did
not see. After the linear weights, per-bucket exponents correct the mixture (loglinear.py,
fit_exponents), fitted on up to FIT_VALUES / vocabulary of the same held-out positions.

Each held-out window is scored after up to `context` ids of the text before it, as evaluation
and prediction see a word after its whole history rather than at the start of a cut window. A
stateful model's held-out windows come in runs (Windows.block): each run is read as one text,
its state carried from window to window as in training's validation and in prediction.
"""

from __future__ import annotations

import math

import numpy as np

from ..ngram import loglinear
from ..ngram.counts import NGramCounts
from ..ngram.kneser_ney import NGramTable
from ..ngram.mixture import fit_mixture, histories, mix
from ..text.vocab import EOL_ID
from .windows import Windows

CONTEXT = 64  # ids of history before each held-out window
MAX_WINDOWS = 2000  # held-out windows used (evenly spread), bounding the time on big corpora
# fit_ngram's choice of order keeps the lowest within this share of the best held-out perplexity
# (KJV: 23.71 / 23.61 / 23.57 / 23.57 for orders 5-8 keeps 7).
CLOSE = 0.001
# Positions x vocabulary the exponents are fitted on; their five log factors are held while it
# fits, LOG_DTYPE each (KJV: about 32,000 positions of 8,261 words, 2.7 GB; 5.4 GB in float32;
# with 2 ** 27, half the positions, fit_ngram took 100 s against 166 and scored 22.03 against
# 21.91 on kjv.valid.txt, measured 2026-12-01).
FIT_VALUES = 1 << 28
# The held log factors' type: float16 halves their memory; a log probability in [-69, 0]
# keeps 11 significant bits, within 0.03 of itself. On the default KJV model the fit gave the
# same held-out perplexity (23.8209 against 23.8210) and a peak RSS of 5.17 GB against 7.71;
# with the network's kept probabilities held as such logs too (HeldOutNetwork), 23.8210 and
# 4.62 GB (2026-12-07, benchmarks/README.md).
LOG_DTYPE = np.float16


def held_out_windows(windows: Windows, max_windows: int = MAX_WINDOWS) -> np.ndarray:
    """The held-out windows that fit the mixture: all, or whole runs evenly spread."""
    chosen, block = windows.validation, windows.block
    if len(chosen) > max_windows:
        groups = np.unique(chosen // block)
        keep = groups[np.linspace(0, len(groups) - 1, max(1, max_windows // block))
                      .astype(np.int64)]
        chosen = chosen[np.isin(chosen // block, keep)]
    return chosen


def held_out_runs(windows: Windows, chosen: np.ndarray) -> list:
    """(first window, windows) of each run of consecutive held-out windows of one block."""
    block = windows.block
    if len(chosen) == 0:
        return []
    if block == 1:
        return [(int(start), 1) for start in chosen]
    cut = np.flatnonzero((np.diff(chosen) != 1) | (np.diff(chosen // block) != 0)) + 1
    return [(int(run[0]), len(run)) for run in np.split(chosen, cut)]


def kept_positions(windows: Windows) -> np.ndarray:
    """True at every position of the id stream that is not a held-out target."""
    keep = np.ones(len(windows.ids), dtype=bool)
    keep[windows.held_out_targets()] = False
    return keep


def network_probabilities(core):
    """A compiled function: (batch, time) ids -> the network's next-id probabilities."""
    import tensorflow as tf

    return tf.function(lambda x: tf.nn.softmax(core(x, training=False)), reduce_retracing=True)


def held_out_batches(forward, windows: Windows, chosen: np.ndarray, tables: list,
                     context: int = CONTEXT, batch_size: int = 32, targets_only: bool = False):
    """Yield (network probabilities, [(n-gram probabilities, buckets) per table], targets).

    forward is network_probabilities(core); tables: n-gram models (NGramTable) to score the
    same batches with, or none. Probabilities are (rows, vocab) with one row per held-out
    target; with targets_only the n-gram's are only those of the targets (rows,).
    """
    window = windows.sequence_length
    keep = max([0] + [table.order - 1 for table in tables])
    context = max(context, keep)
    runs = held_out_runs(windows, chosen)
    for size in sorted({size for _, size in runs}):  # rows of one batch have one length
        firsts = np.array([first for first, n in runs if n == size], dtype=np.int64)
        length = size * window
        offsets = np.arange(-context, length + 1)
        rows = max(1, batch_size // size)
        for begin in range(0, len(firsts), rows):
            starts = firsts[begin:begin + rows] * window
            where = starts[:, None] + offsets
            # Before the first token the text "starts a line", as a prefix does.
            ids = np.where(where >= 0, np.asarray(windows.ids[np.maximum(where, 0)]), EOL_ID)
            inputs, targets = ids[:, :-1], ids[:, context + 1:]
            if isinstance(forward, HeldOutNetwork):
                network = forward.rows(inputs, (firsts[begin:begin + rows, None]
                                                + np.arange(size)).ravel(), context)
            else:
                network = _forward(forward, inputs, context)
            history = histories(inputs, context, length, keep) if tables else None
            targets = targets.ravel()
            yield network, [table.probabilities_of(history[:, keep - table.order + 1:], targets)
                            if targets_only else
                            table.distributions(history[:, keep - table.order + 1:])
                            for table in tables], targets


def _forward(forward, inputs, context):
    """The network's probabilities (rows, vocab) after each input but the context's."""
    network = forward(inputs.astype(np.int32)).numpy()[:, context:]
    return network.reshape(-1, network.shape[-1])


class HeldOutNetwork:
    """network_probabilities at held-out windows, those named in `keep` computed only once.

    fit_ngram reads the held-out windows up to three times: for the linear weights, for the
    exponents' fit, and to score the windows that fit did not use. The network's forward
    pass is the dearest part of each (on KJV about 40% of fit_ngram's time): the fit's
    windows are kept from the first, len(keep) x window x vocabulary log probabilities in
    LOG_DTYPE (fit_windows bounds them by FIT_VALUES: 0.5 GB), as the fit, the only reader
    of what is kept, holds them anyway."""

    def __init__(self, forward, keep: np.ndarray, window: int, vocab_size: int):
        self.forward = forward
        self.slots = {int(w): i for i, w in enumerate(keep)}
        self.held = np.empty((len(keep), window, vocab_size), dtype=LOG_DTYPE)
        self.filled = np.zeros(len(keep), dtype=bool)

    def rows(self, inputs: np.ndarray, window_ids: np.ndarray, context: int) -> np.ndarray:
        """The probabilities of held_out_batches' batch: inputs (runs, context + time) whose
        scored positions are those of window_ids, run by run."""
        slots = np.array([self.slots.get(int(w), -1) for w in window_ids])
        if (slots >= 0).all() and self.filled[slots].all():
            return np.exp(self.held[slots].reshape(-1, self.held.shape[2]), dtype=np.float32)
        network = _forward(self.forward, inputs, context)
        kept = slots >= 0
        self.held[slots[kept]] = np.log(np.maximum(network, loglinear.FLOOR)).reshape(
            len(slots), -1, network.shape[1])[kept]
        self.filled[slots[kept]] = True
        return network


def fit_windows(windows: Windows, vocab_size: int, windows_used: int) -> np.ndarray:
    """The held-out windows fit_exponents fits on: up to FIT_VALUES / vocabulary positions,
    whole runs evenly spread."""
    rows = max(1, FIT_VALUES // vocab_size)
    return held_out_windows(windows, max(1, min(windows_used, rows // windows.sequence_length)))


def _target(probabilities, targets):
    return probabilities[np.arange(len(targets)), targets]


def _hits(probabilities, targets):
    return int((probabilities.argmax(axis=1) == targets).sum())


def lower_order(counts: NGramCounts, order: int) -> NGramCounts:
    """The counts of the order-`order` n-grams, from those of a higher order: each n-gram's
    oldest words dropped and the counts of the n-grams that then agree summed."""
    if order >= counts.order:
        return counts
    return NGramCounts.empty(order).merged(
        NGramCounts(order, counts.grams[:, counts.order - order:], counts.counts))


def fit_ngram(core, windows: Windows, vocab_size: int, order: int, max_entries: int,
              max_tokens: int = 0, log=print, base_counts: NGramCounts | None = None,
              base_weight: float = 1.0, lowest: int = 0, exponents: bool = True):
    """Count the n-gram model, fit the mixture weights, and measure on held-out windows.

    base_counts: counts of an earlier corpus (train --from) added, times base_weight, to
    this corpus's before the model is estimated.
    lowest: when between 2 and `order`, every order from it up to `order` is fitted and the
    lowest whose mixture's held-out perplexity is within CLOSE of the best is kept (choose_order):
    a higher order helps repetitive text (KJV: -0.2 perplexity from 5 to 7) and costs
    about 20 bytes an entry, and pruned to --ngram-max-entries it can do worse than a lower one.
    exponents: correct the linear mixture by per-bucket exponents (loglinear.py; fit_exponents).
    Returns (table, mixture weights, results, counts, held-out table): results hold the
    network's held-out perplexity and accuracy and, with an n-gram model, the mixture's (which
    predictions use); counts are what the table was estimated from, kept in the model file;
    the held-out table is the n-gram model before the held-out text was counted (what
    measures on the held-out text, as phrase calibration, must use), or None.
    """
    chosen = held_out_windows(windows)
    forward = network_probabilities(core)
    if exponents and order >= 2:  # the windows the exponents fit on, read once
        forward = HeldOutNetwork(forward, fit_windows(windows, vocab_size, len(chosen)),
                                 windows.sequence_length, vocab_size)
    keep = kept_positions(windows)
    counts, tables = None, []
    if order >= 2:
        counts = NGramCounts.count(windows.ids, order, keep=keep, max_tokens=max_tokens)
        if base_counts is not None:
            order = min(base_counts.order, counts.order)  # the base's may be of another order
            counts = lower_order(base_counts, order).merged(lower_order(counts, order),
                                                            base_weight)
        orders = range(max(2, min(lowest, order)) if lowest else order, order + 1)
        tables = [lower_order(counts, n).table(vocab_size, max_entries) for n in orders]
    network_nll = network_hits = count = 0.0
    parts = []
    for network, ngrams, targets in held_out_batches(forward, windows, chosen, tables,
                                                     targets_only=True):
        p = _target(network, targets)
        network_nll -= float(np.log(np.maximum(p, 1e-30)).sum())
        network_hits += _hits(network, targets)
        count += len(targets)
        parts.append((p, ngrams))
    results = {"network_validation_perplexity": math.exp(network_nll / count),
               "network_validation_accuracy": network_hits / count,
               "validation_tokens": int(count), "ngram_order": 0, "ngram_entries": 0}
    results["validation_perplexity"] = results["network_validation_perplexity"]
    results["validation_accuracy"] = results["network_validation_accuracy"]
    if not tables:
        return None, None, results, None, None
    network_p = np.concatenate([p for p, _ in parts])
    fitted = []  # (mixture weights, mixed nll, n-gram probabilities) per table
    for i, table in enumerate(tables):
        ngram_p = np.concatenate([ngrams[i][0] for _, ngrams in parts])
        buckets = np.concatenate([ngrams[i][1] for _, ngrams in parts])
        mixture = fit_mixture(network_p, ngram_p, buckets, table.bucket_count())
        mixed = mix(network_p[:, None], ngram_p[:, None], buckets, mixture)[:, 0]
        fitted.append((mixture, -float(np.log(np.maximum(mixed, 1e-30)).sum()), ngram_p))
    best = choose_order([nll / count for _, nll, _ in fitted])
    if len(tables) > 1:
        log(f"n-gram orders {tables[0].order}-{tables[-1].order} on held-out text, mixed "
            f"perplexity " + " / ".join(f"{math.exp(nll / count):.2f}" for _, nll, _ in fitted)
            + f": order {tables[best].order}, the lowest within {CLOSE:.1%} of the best")
    table, (mixture, _, ngram_p) = tables[best], fitted[best]
    counts = lower_order(counts, orders[best])  # what the kept table was estimated from
    mixed_hits, mixed_nll, scored = 0, 0.0, chosen
    if exponents:
        # The windows it fits on come back scored: only the others are scored below.
        mixture, fitted_windows, mixed_nll, mixed_hits = fit_exponents(
            forward, windows, table, mixture, len(chosen))
        scored = np.setdiff1d(chosen, fitted_windows)
    for network, ngrams, targets in held_out_batches(
            forward, windows, scored, _scoring_tables(table, loglinear.lower_orders(mixture))):
        mixed = mix(network, *ngrams[0], mixture, table.unigram, [q for q, _ in ngrams[1:]])
        mixed_hits += _hits(mixed, targets)
        mixed_nll -= float(np.log(np.maximum(_target(mixed, targets), 1e-30)).sum())
    results.update(validation_perplexity=math.exp(mixed_nll / count),
                   validation_accuracy=mixed_hits / count, ngram_order=table.order,
                   ngram_entries=table.entries,
                   ngram_validation_perplexity=math.exp(-float(np.log(ngram_p).sum()) / count))
    log(f"n-gram model: order {table.order}, {table.entries:,} entries; held-out perplexity "
        f"network {results['network_validation_perplexity']:.2f}, n-gram "
        f"{results['ngram_validation_perplexity']:.2f}, mixed "
        f"{results['validation_perplexity']:.2f}")
    unseen = table
    if len(windows.validation):
        # The weights are fitted; the model's n-gram now counts the held-out text too.
        held_out_counts = NGramCounts.count(windows.ids, counts.order, keep=~keep,
                                            max_tokens=max_tokens)
        counts = counts.merged(held_out_counts)
        table = counts.table(vocab_size, max_entries)
        results["ngram_entries"] = table.entries
        log(f"n-gram model with the held-out text's n-grams added, for the model file: "
            f"{table.entries:,} entries")
    return table, mixture, results, counts, unseen


def fit_exponents(forward, windows: Windows, table: NGramTable, weights: np.ndarray,
                  windows_used: int) -> np.ndarray:
    """The (buckets, 1 + loglinear.FACTORS) mixture [w, a, c, d, u, l...]: the linear weights
    and log-linear exponents fitted (loglinear.fit_logs) on up to FIT_VALUES / vocabulary
    held-out positions, whole runs evenly spread, whose log factors (the network's, the
    n-gram's at the table's order and at each of loglinear.LOWER_ORDERS, the linear
    mixture's) are held in memory while it fits. Returns (mixture, the held-out windows it
    fitted on, the corrected mixture's negative log-likelihood summed over their positions,
    and how many of their targets it ranks first)."""
    orders = loglinear.LOWER_ORDERS
    chosen = fit_windows(windows, table.vocab_size, windows_used)
    # The log factors of every row, written batch by batch: the (rows, vocab) probabilities
    # themselves are never all held (loglinear.fit_logs), and their logs in LOG_DTYPE.
    logs = np.empty((len(chosen) * windows.sequence_length, 3 + len(orders), table.vocab_size),
                    dtype=LOG_DTYPE)
    buckets, targets, filled = [], [], 0
    for network, ngrams, batch_targets in held_out_batches(forward, windows, chosen,
                                                           _scoring_tables(table, orders)):
        rows = len(batch_targets)
        loglinear.log_features(network, ngrams[0][0], [q for q, _ in ngrams[1:]], weights,
                               ngrams[0][1], out=logs[filled:filled + rows])
        buckets.append(ngrams[0][1])
        targets.append(batch_targets)
        filled += rows
    unigram_log, buckets, targets = (loglinear.unigram_logs(table.unigram),
                                     np.concatenate(buckets), np.concatenate(targets))
    exponents = loglinear.fit_logs(logs[:filled], unigram_log, len(weights), buckets, targets)
    nll, hits = loglinear.score_logs(logs[:filled], unigram_log, buckets, targets, exponents)
    mixture = np.concatenate([np.asarray(weights, np.float32)[:, None], exponents], axis=1)
    return mixture, chosen, nll, hits


class LowerOrder:
    """A table's order-`order` part, where held_out_batches takes a table: its distributions
    from the last order - 1 ids (loglinear.py's lower-order factors)."""

    def __init__(self, table: NGramTable, order: int):
        self.table, self.order = table, min(order, table.order)

    def distributions(self, history: np.ndarray):
        return self.table.distributions(history[:, history.shape[1] - self.order + 1:])


def _scoring_tables(table: NGramTable, lower_orders: tuple) -> list:
    """The tables held_out_batches scores a mixture with: the table, and its parts at the
    lower orders whose distributions the mixture's log-linear exponents weigh."""
    return [table] + [LowerOrder(table, order) for order in lower_orders]


def choose_order(cross_entropies: list) -> int:
    """Index of the first (lowest-order) model whose held-out perplexity is within CLOSE of
    the best: the smaller file unless a higher order measurably pays."""
    best = min(cross_entropies)
    return next(i for i, h in enumerate(cross_entropies) if h <= best + math.log1p(CLOSE))
