"""A log-linear correction of the network + n-gram mixture, fitted per bucket on held-out text.

The linear mixture w * network + (1 - w) * n-gram (ngram.mix) is what a mixture of two
models is when each is right some of the time. It cannot sharpen or flatten, nor reward a word
that both models like over one that only one of them likes. Per n-gram bucket b (how long a
context the n-gram model has seen, and how often) six exponents correct it:

    p(v) = network(v)^a[b] * ngram(v)^c[b] * mixture(v)^d[b] * unigram(v)^u[b]
           * lower3(v)^l3[b] * lower2(v)^l2[b] / Z

with the n-gram model's unigram distribution as the fourth factor (a negative u lifts the rarer
words that both models under-rate) and its distributions from the last two words alone (its
order-3 part) and from the last word alone (order 2) as the fifth and sixth (LOWER_ORDERS),
so that long and short contexts are weighed apart. (a, c, d, u, l3, l2) = (0, 0, 1, 0, 0, 0)
is the linear mixture itself, where fitting starts; a few Newton steps on the held-out
targets' log-likelihood move each bucket with enough positions (buckets with fewer keep the
linear mixture, and a bucket whose likelihood the steps would lower keeps its last better
exponents).

Measured on KJV (benchmarks/README.md, thirteenth and fourteenth sessions) with one network
and its 7-gram, fitted on half of kjv.valid.txt and scored on the other half and the other way
round (perplexity / top-1): the linear mixture 23.08 / 37.49%; two factors (network and
n-gram) 22.53 / 38.04%; three 22.38 / 38.06%; four 22.11 / 38.46%; five (order 3) 21.83 /
38.86%; six with order 2 21.76 / 38.89% (with order 5 instead 21.79 / 38.91%). Crossing the
buckets with three bins of the network's entropy fitted worse (22.63). Fitted on the training
run's held-out windows, as `train` fits it: benchmarks/README.md.

A mixture array of shape (buckets, 1 + factors) holds [w, a, c, d, u, l3, l2] per bucket (the
thirteenth session's files: [w, a, c, d, u, l3], read as such, lower_orders); a (buckets,)
array is the linear mixture of files written before it (ngram.mix handles all three).
"""

from __future__ import annotations

import numpy as np

BASE_FACTORS = 4  # network, n-gram, linear mixture, unigram
# The n-gram orders whose distributions (from the last order - 1 words alone) are the fifth,
# sixth, ... factors. A mixture with k lower-order exponents uses the first k: files written
# with one (thirteenth session) read as before.
LOWER_ORDERS = (3, 2)
FACTORS = BASE_FACTORS + len(LOWER_ORDERS)
FLOOR = 1e-30  # probabilities are floored here before their logarithm
MIN_ROWS = 100  # held-out positions a bucket needs for its own exponents
DAMPING = 1e-3  # Newton's Hessian + DAMPING * rows * I: small steps where a bucket is flat
CHUNK_VALUES = 1 << 22  # rows x vocabulary values per step of the passes (memory)


def identity(factors: int = FACTORS) -> np.ndarray:
    """The exponents (a, c, d, u, l...) that give the linear mixture: d = 1, the rest 0."""
    exponents = np.zeros(factors)
    exponents[2] = 1.0
    return exponents


def lower_orders(mixture: np.ndarray) -> tuple:
    """The lower orders a (buckets, 1 + factors) mixture's exponents weigh: the first
    factors - BASE_FACTORS of LOWER_ORDERS; none for a linear (buckets,) mixture."""
    if np.ndim(mixture) != 2:
        return ()
    return LOWER_ORDERS[:np.shape(mixture)[1] - 1 - BASE_FACTORS]


def features(network: np.ndarray, ngram: np.ndarray, mixed: np.ndarray, unigram: np.ndarray,
             lowers: list, unigram_log: np.ndarray | None = None):
    """log network, log n-gram, log mixture (rows, vocab), log unigram (1, vocab) and the log
    lower-order n-gram distributions (rows, vocab) each: the factors the exponents weigh.
    unigram_log: unigram_logs(unigram), where the caller keeps it."""
    logs = []
    for x in (network, ngram, mixed, *lowers):
        x = np.maximum(np.asarray(x, dtype=np.float32), FLOOR)
        logs.append(np.log(x, out=x))
    if unigram_log is None:
        unigram_log = unigram_logs(unigram)
    return logs[:3] + [unigram_log[None]] + logs[3:]


def unigram_logs(unigram: np.ndarray) -> np.ndarray:
    """log unigram, floored at the rarest word's: a word the unigram never gives (padding)
    must not rise to the top where u is negative; the other factors keep it at the bottom."""
    unigram = np.asarray(unigram, dtype=np.float32)
    return np.log(np.maximum(unigram, unigram[unigram > 0].min(initial=1.0)))


def apply(network: np.ndarray, ngram: np.ndarray, mixed: np.ndarray, unigram: np.ndarray,
          lowers: list, exponents: np.ndarray, unigram_log: np.ndarray | None = None):
    """The corrected distribution (rows, vocab): exponents (rows, factors) per row, rows
    summing to 1; unigram: the n-gram model's (vocab,) unigram distribution; lowers: its
    distributions (rows, vocab) at each of lower_orders (from the last order - 1 words
    only), as many as the exponents weigh; unigram_log: unigram_logs(unigram) where the
    caller keeps it."""
    exponents = np.asarray(exponents, dtype=np.float32)
    logs = features(network, ngram, mixed, unigram, lowers, unigram_log)
    scores = exponents[:, 0, None] * logs[0]
    for k in range(1, exponents.shape[1]):
        scores += exponents[:, k, None] * logs[k]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _pass(network, ngram, unigram, lowers, weights, buckets, targets, exponents, bucket_count):
    """Per-bucket negative log-likelihood (bucket_count,), gradient (bucket_count, factors)
    and Hessian (bucket_count, factors, factors) of the corrected mixture over held-out rows."""
    factors = exponents.shape[1]
    nll = np.zeros(bucket_count)
    gradient = np.zeros((bucket_count, factors))
    hessian = np.zeros((bucket_count, factors, factors))
    step = max(1, CHUNK_VALUES // network.shape[1])
    for begin in range(0, len(targets), step):
        rows = slice(begin, begin + step)
        b, t = buckets[rows], targets[rows]
        w = weights[b][:, None].astype(np.float32)
        logs = features(network[rows], ngram[rows], w * network[rows] + (1 - w) * ngram[rows],
                        unigram, [lower[rows] for lower in lowers])
        logs[3] = np.broadcast_to(logs[3], logs[0].shape)
        e = exponents[b].astype(np.float32)
        scores = e[:, 0, None] * logs[0]
        for k in range(1, factors):
            scores += e[:, k, None] * logs[k]
        top = scores.max(axis=1, keepdims=True)
        at = np.arange(len(t))
        picked = np.stack([f[at, t] for f in logs], axis=1).astype(np.float64)
        target_scores = scores[at, t].astype(np.float64)
        scores -= top
        p = np.exp(scores, out=scores)
        z = p.sum(axis=1, dtype=np.float64)
        nll += np.bincount(b, weights=top[:, 0] + np.log(z) - target_scores,
                           minlength=bucket_count)
        p /= z[:, None].astype(np.float32)
        # Per row: the factors' means and second moments under p, one batched product
        # (rows, factors, vocab) x (rows, vocab, factors) rather than a pass per pair.
        stacked = np.stack(logs, axis=1)  # (rows, factors, vocab)
        means = np.matmul(stacked, p[:, :, None])[:, :, 0].astype(np.float64)
        moments = np.matmul(stacked * p[:, None, :], stacked.transpose(0, 2, 1)) \
            .astype(np.float64)
        covariance = moments - means[:, :, None] * means[:, None, :]
        for i in range(factors):
            gradient[:, i] += np.bincount(b, weights=means[:, i] - picked[:, i],
                                          minlength=bucket_count)
            for j in range(i, factors):
                hessian[:, i, j] += np.bincount(b, weights=covariance[:, i, j],
                                                minlength=bucket_count)
                hessian[:, j, i] = hessian[:, i, j]
    return nll, gradient, hessian


def fit(network: np.ndarray, ngram: np.ndarray, unigram: np.ndarray, lowers: list,
        weights: np.ndarray, buckets: np.ndarray, targets: np.ndarray, iterations: int = 6,
        min_rows: int = MIN_ROWS) -> np.ndarray:
    """Exponents (bucket_count, BASE_FACTORS + len(lowers)) that maximise the corrected
    mixture's likelihood of the targets.

    network, ngram: each model's next-id probabilities (rows, vocab) at held-out positions;
    unigram: the n-gram model's (vocab,) unigram distribution; lowers: its distributions at
    the first len(lowers) of LOWER_ORDERS at the same positions, (rows, vocab) each; weights:
    the linear mixture's (bucket_count,) network weights (ngram.fit_mixture); buckets,
    targets: (rows,). Never worse than the linear mixture on these rows, bucket by bucket.
    """
    bucket_count = len(weights)
    factors = BASE_FACTORS + len(lowers)
    weights = np.asarray(weights, dtype=np.float64)
    buckets = np.asarray(buckets, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    sizes = np.bincount(buckets, minlength=bucket_count)
    fitted = sizes >= min_rows
    exponents = np.tile(identity(factors), (bucket_count, 1))
    best, best_nll = exponents.copy(), None
    for _ in range(iterations + 1):
        nll, gradient, hessian = _pass(network, ngram, unigram, lowers, weights, buckets,
                                       targets, exponents, bucket_count)
        if best_nll is None:
            best_nll = nll
        better = nll <= best_nll
        best[better], best_nll = exponents[better], np.where(better, nll, best_nll)
        # Where a step made things worse, go back half way; elsewhere take a Newton step.
        exponents = np.where(better[:, None], exponents, (best + exponents) / 2)
        for k in np.flatnonzero(fitted & better):
            damped = hessian[k] + DAMPING * sizes[k] * np.eye(factors)
            exponents[k] = exponents[k] - np.linalg.solve(damped, gradient[k])
    return best.astype(np.float32)
