"""A log-linear correction of the network + n-gram mixture, fitted per bucket on held-out text.

The linear mixture w * network + (1 - w) * n-gram (ngram.mix) is what a mixture of two
models is when each is right some of the time. It cannot sharpen or flatten, nor reward a word
that both models like over one that only one of them likes. Per n-gram bucket b (how long a
context the n-gram model has seen, and how often) five exponents correct it:

    p(v) = network(v)^a[b] * ngram(v)^c[b] * mixture(v)^d[b] * unigram(v)^u[b]
           * lower(v)^l[b] / Z

with the n-gram model's unigram distribution as the fourth factor (a negative u lifts the rarer
words that both models under-rate) and its distribution from the last two words alone (its
order-3 part, LOWER_ORDER) as the fifth, so that long and short contexts are weighed apart.
(a, c, d, u, l) = (0, 0, 1, 0, 0) is the linear mixture itself, where fitting starts; a few
Newton steps on the held-out targets' log-likelihood move each bucket with enough positions
(buckets with fewer keep the linear mixture, and a bucket whose likelihood the steps would
lower keeps its last better exponents).

Measured on KJV (benchmarks/README.md, thirteenth session) with one network and its 7-gram,
fitted on half of kjv.valid.txt and scored on the other half and the other way round
(perplexity / top-1): the linear mixture 23.08 / 37.49%; two factors (network and n-gram)
22.53 / 38.04%; three 22.38 / 38.06%; four 22.11 / 38.46%; five 21.88 / 38.87%. Crossing the
buckets with three bins of the network's entropy fitted worse (22.63). Fitted on the training
run's held-out windows, as `train` fits it: benchmarks/README.md.

A mixture array of shape (buckets, 6) holds [w, a, c, d, u, l] per bucket; a (buckets,) array
is the linear mixture of files written before it (ngram.mix handles both).
"""

from __future__ import annotations

import numpy as np

IDENTITY = (0.0, 0.0, 1.0, 0.0, 0.0)  # exponents that give the linear mixture
LOWER_ORDER = 3  # the order of the n-gram model's shorter-context distribution, the fifth factor
FACTORS = len(IDENTITY)
FLOOR = 1e-30  # probabilities are floored here before their logarithm
MIN_ROWS = 100  # held-out positions a bucket needs for its own exponents
DAMPING = 1e-3  # Newton's Hessian + DAMPING * rows * I: small steps where a bucket is flat
CHUNK_VALUES = 1 << 22  # rows x vocabulary values per step of the passes (memory)


def features(network: np.ndarray, ngram: np.ndarray, mixed: np.ndarray, unigram: np.ndarray,
             lower: np.ndarray):
    """log network, log n-gram, log mixture (rows, vocab), log unigram (1, vocab) and log
    lower-order n-gram (rows, vocab): the factors the exponents weigh."""
    logs = [np.log(np.maximum(np.asarray(x, dtype=np.float32), FLOOR))
            for x in (network, ngram, mixed, lower)]
    return logs[:3] + [unigram_logs(unigram)[None], logs[3]]


def unigram_logs(unigram: np.ndarray) -> np.ndarray:
    """log unigram, floored at the rarest word's: a word the unigram never gives (padding)
    must not rise to the top where u is negative; the other factors keep it at the bottom."""
    unigram = np.asarray(unigram, dtype=np.float32)
    return np.log(np.maximum(unigram, unigram[unigram > 0].min(initial=1.0)))


def apply(network: np.ndarray, ngram: np.ndarray, mixed: np.ndarray, unigram: np.ndarray,
          lower: np.ndarray, exponents: np.ndarray):
    """The corrected distribution (rows, vocab): exponents (rows, FACTORS) per row, rows
    summing to 1; unigram: the n-gram model's (vocab,) unigram distribution; lower: its
    distributions (rows, vocab) from the last LOWER_ORDER - 1 words only."""
    exponents = np.asarray(exponents, dtype=np.float32)
    logs = features(network, ngram, mixed, unigram, lower)
    scores = sum(exponents[:, k, None] * logs[k] for k in range(FACTORS))
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _pass(network, ngram, unigram, lower, weights, buckets, targets, exponents, bucket_count):
    """Per-bucket negative log-likelihood (bucket_count,), gradient (bucket_count, FACTORS)
    and Hessian (bucket_count, FACTORS, FACTORS) of the corrected mixture over held-out rows."""
    nll = np.zeros(bucket_count)
    gradient = np.zeros((bucket_count, FACTORS))
    hessian = np.zeros((bucket_count, FACTORS, FACTORS))
    step = max(1, CHUNK_VALUES // network.shape[1])
    for begin in range(0, len(targets), step):
        rows = slice(begin, begin + step)
        b, t = buckets[rows], targets[rows]
        w = weights[b][:, None].astype(np.float32)
        logs = features(network[rows], ngram[rows], w * network[rows] + (1 - w) * ngram[rows],
                        unigram, lower[rows])
        logs[3] = np.broadcast_to(logs[3], logs[0].shape)
        e = exponents[b].astype(np.float32)
        scores = sum(e[:, k, None] * logs[k] for k in range(FACTORS))
        top = scores.max(axis=1, keepdims=True)
        at = np.arange(len(t))
        picked = [f[at, t].astype(np.float64) for f in logs]
        target_scores = scores[at, t].astype(np.float64)
        scores -= top
        p = np.exp(scores, out=scores)
        z = p.sum(axis=1, dtype=np.float64)
        nll += np.bincount(b, weights=top[:, 0] + np.log(z) - target_scores,
                           minlength=bucket_count)
        p /= z[:, None].astype(np.float32)
        weighted = [p * f for f in logs]
        means = [np.einsum("rv->r", x, dtype=np.float64) for x in weighted]
        for i in range(FACTORS):
            gradient[:, i] += np.bincount(b, weights=means[i] - picked[i], minlength=bucket_count)
            for j in range(i, FACTORS):
                covariance = np.einsum("rv,rv->r", weighted[i], logs[j], dtype=np.float64) \
                    - means[i] * means[j]
                hessian[:, i, j] += np.bincount(b, weights=covariance, minlength=bucket_count)
                hessian[:, j, i] = hessian[:, i, j]
    return nll, gradient, hessian


def fit(network: np.ndarray, ngram: np.ndarray, unigram: np.ndarray, lower: np.ndarray,
        weights: np.ndarray, buckets: np.ndarray, targets: np.ndarray, iterations: int = 6,
        min_rows: int = MIN_ROWS) -> np.ndarray:
    """Exponents (bucket_count, FACTORS) that maximise the corrected mixture's likelihood of
    the targets.

    network, ngram: each model's next-id probabilities (rows, vocab) at held-out positions;
    unigram: the n-gram model's (vocab,) unigram distribution; lower: its distributions of
    order LOWER_ORDER at the same positions (rows, vocab); weights: the linear mixture's
    (bucket_count,) network weights (ngram.fit_mixture); buckets, targets: (rows,). Never
    worse than the linear mixture on these rows, bucket by bucket.
    """
    bucket_count = len(weights)
    weights = np.asarray(weights, dtype=np.float64)
    buckets = np.asarray(buckets, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    sizes = np.bincount(buckets, minlength=bucket_count)
    fitted = sizes >= min_rows
    exponents = np.tile(np.array(IDENTITY), (bucket_count, 1))
    best, best_nll = exponents.copy(), None
    for _ in range(iterations + 1):
        nll, gradient, hessian = _pass(network, ngram, unigram, lower, weights, buckets,
                                       targets, exponents, bucket_count)
        if best_nll is None:
            best_nll = nll
        better = nll <= best_nll
        best[better], best_nll = exponents[better], np.where(better, nll, best_nll)
        # Where a step made things worse, go back half way; elsewhere take a Newton step.
        exponents = np.where(better[:, None], exponents, (best + exponents) / 2)
        for k in np.flatnonzero(fitted & better):
            damped = hessian[k] + DAMPING * sizes[k] * np.eye(FACTORS)
            exponents[k] = exponents[k] - np.linalg.solve(damped, gradient[k])
    return best.astype(np.float32)
