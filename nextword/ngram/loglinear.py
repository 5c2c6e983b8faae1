"""A log-linear correction of the network + n-gram mixture, fitted per bucket on held-out text.

The linear mixture w * network + (1 - w) * n-gram (mixture.mix) is what a mixture of two
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

Measured on KJV (docs/experiments/log-linear-mixture.md, 2026-12-01/02) with one network
and its 7-gram, fitted on half of kjv.valid.txt and scored on the other half and the other way
round (perplexity / top-1): the linear mixture 23.08 / 37.49%; two factors (network and
n-gram) 22.53 / 38.04%; three 22.38 / 38.06%; four 22.11 / 38.46%; five (order 3) 21.83 /
38.86%; six with order 2 21.76 / 38.89% (with order 5 instead 21.79 / 38.91%). Crossing the
buckets with three bins of the network's entropy fitted worse (22.63). Fitted on the training
run's held-out windows, as `train` fits it: benchmarks/README.md.

A mixture array of shape (buckets, 1 + factors) holds [w, a, c, d, u, l3, l2] per bucket. Model
format 1 also has files with [w, a, c, d, u, l3] (one lower order, read as such by
lower_orders) and files with a (buckets,) array, the linear mixture alone (mixture.mix handles
all three).
"""

from __future__ import annotations

import numpy as np

BASE_FACTORS = 4  # network, n-gram, linear mixture, unigram
# The n-gram orders whose distributions (from the last order - 1 words alone) are the fifth,
# sixth, ... factors. A mixture with k lower-order exponents uses the first k: format-1 files
# with one read as they were written.
LOWER_ORDERS = (3, 2)
FACTORS = BASE_FACTORS + len(LOWER_ORDERS)
FLOOR = 1e-30  # probabilities are floored here before their logarithm
MIN_ROWS = 100  # held-out positions a bucket needs for its own exponents
DAMPING = 1e-3  # Newton's Hessian + DAMPING * rows * I: small steps where a bucket is flat
# Newton steps: on KJV (32,000 held-out positions) the likelihood after 3 was within 0.1 nats
# in all (3e-6 a position) of where 6 ended, and each pass costs 6 s there.
ITERATIONS = 3
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


def unigram_logs(unigram: np.ndarray) -> np.ndarray:
    """log unigram, floored at the rarest word's: a word the unigram never gives (padding)
    must not rise to the top where u is negative; the other factors keep it at the bottom."""
    unigram = np.asarray(unigram, dtype=np.float32)
    return np.log(np.maximum(unigram, unigram[unigram > 0].min(initial=1.0)))


def apply(network: np.ndarray, ngram: np.ndarray, lowers: list, mixture: np.ndarray,
          buckets: np.ndarray, unigram_log: np.ndarray) -> np.ndarray:
    """The corrected distribution (rows, vocab), rows summing to 1.

    network, ngram: (rows, vocab) probabilities; lowers: the n-gram model's distributions
    (rows, vocab) at each of lower_orders(mixture) (from the last order - 1 words only);
    mixture: (buckets, 1 + factors) [w, a, c, d, u, l...]; buckets: (rows,);
    unigram_log: unigram_logs of the n-gram model's unigram. The same arithmetic as fitting's
    (log_features, _scores)."""
    mixture = np.asarray(mixture, dtype=np.float32)
    buckets = np.asarray(buckets, dtype=np.int64)
    logs = log_features(network, ngram, lowers, mixture[:, 0], buckets)
    scores = _scores(logs, unigram_log, mixture[buckets, 1:])
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _scores(logs: np.ndarray, unigram_log: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """The corrected mixture's unnormalised log-probabilities (rows, vocab): log_features rows
    weighed by each row's exponents (rows, factors), the unigram's being factor 3."""
    exponents = np.asarray(exponents, dtype=np.float32)
    return np.matmul(exponents[:, None, _varying(exponents.shape[1])], logs)[:, 0] \
        + exponents[:, 3, None] * unigram_log


def _varying(factors: int) -> np.ndarray:
    """The factors log_features holds, in its order: all but the unigram (factor 3)."""
    return np.array([k for k in range(factors) if k != 3])


def log_features(network: np.ndarray, ngram: np.ndarray, lowers: list, weights: np.ndarray,
                 buckets: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The factors that vary by row, as fitting reads them: (rows, 3 + len(lowers), vocab)
    [log network, log n-gram, log linear mixture, log lower...] (the unigram, the same for
    every row, is kept apart). weights: the linear mixture's per bucket; out: where to write."""
    rows, vocab = np.shape(network)
    work = out if out is not None and out.dtype == np.float32 \
        else np.empty((rows, 3 + len(lowers), vocab), dtype=np.float32)
    w = np.asarray(weights, dtype=np.float32)[buckets][:, None]
    work[:, 0], work[:, 1] = network, ngram
    work[:, 2] = w * work[:, 0] + (1 - w) * work[:, 1]
    for k, lower in enumerate(lowers, start=3):
        work[:, k] = lower
    np.maximum(work, FLOOR, out=work)
    np.log(work, out=work)
    if out is not None and out is not work:  # a float16 store: logs, never probabilities
        out[...] = work
        return out
    return work


def _pass(logs, unigram_log, buckets, targets, exponents, bucket_count):
    """Per-bucket negative log-likelihood (bucket_count,), gradient (bucket_count, factors)
    and Hessian (bucket_count, factors, factors) of the corrected mixture over held-out rows.

    logs: log_features (rows, factors - 1, vocab); unigram_log: (vocab,), factor 3."""
    factors = exponents.shape[1]
    nll = np.zeros(bucket_count)
    gradient = np.zeros((bucket_count, factors))
    hessian = np.zeros((bucket_count, factors, factors))
    varying = _varying(factors)
    step = max(1, CHUNK_VALUES // logs.shape[2])
    for begin in range(0, len(targets), step):
        rows = slice(begin, begin + step)
        chunk, b, t = np.asarray(logs[rows], np.float32), buckets[rows], targets[rows]
        scores = _scores(chunk, unigram_log, exponents[b])
        top = scores.max(axis=1, keepdims=True)
        at = np.arange(len(t))
        picked = np.empty((len(t), factors))
        picked[:, varying], picked[:, 3] = chunk[at, :, t], unigram_log[t]
        target_scores = scores[at, t].astype(np.float64)
        scores -= top
        p = np.exp(scores, out=scores)
        z = p.sum(axis=1, dtype=np.float64)
        nll += np.bincount(b, weights=top[:, 0] + np.log(z) - target_scores,
                           minlength=bucket_count)
        p /= z[:, None].astype(np.float32)
        # Per row: the factors' means and second moments under p, as batched products
        # (rows, factors, vocab) x (rows, vocab, factors) rather than a pass per pair.
        weighted = chunk * p[:, None, :]
        means = np.empty((len(t), factors))
        means[:, varying] = np.matmul(chunk, p[:, :, None])[:, :, 0]
        means[:, 3] = p @ unigram_log
        moments = np.empty((len(t), factors, factors))
        moments[:, varying[:, None], varying[None, :]] = np.matmul(weighted,
                                                                   chunk.transpose(0, 2, 1))
        cross = weighted @ unigram_log  # (rows, factors - 1)
        moments[:, varying, 3] = moments[:, 3, varying] = cross
        moments[:, 3, 3] = p @ (unigram_log * unigram_log)
        covariance = moments - means[:, :, None] * means[:, None, :]
        gradient += _by_bucket(b, means - picked, bucket_count)
        hessian += _by_bucket(b, covariance.reshape(len(t), -1), bucket_count).reshape(
            bucket_count, factors, factors)
    return nll, gradient, hessian


def _by_bucket(buckets: np.ndarray, values: np.ndarray, bucket_count: int) -> np.ndarray:
    """Sums of the rows of values (rows, k) per bucket: (bucket_count, k)."""
    sums = np.zeros((bucket_count, values.shape[1]))
    np.add.at(sums, buckets, values)
    return sums


def fit(network: np.ndarray, ngram: np.ndarray, unigram: np.ndarray, lowers: list,
        weights: np.ndarray, buckets: np.ndarray, targets: np.ndarray,
        iterations: int = ITERATIONS, min_rows: int = MIN_ROWS) -> np.ndarray:
    """Exponents (bucket_count, BASE_FACTORS + len(lowers)) that maximise the corrected
    mixture's likelihood of the targets.

    network, ngram: each model's next-id probabilities (rows, vocab) at held-out positions;
    unigram: the n-gram model's (vocab,) unigram distribution; lowers: its distributions at
    the first len(lowers) of LOWER_ORDERS at the same positions, (rows, vocab) each; weights:
    the linear mixture's (bucket_count,) network weights (mixture.fit_mixture); buckets,
    targets: (rows,). Never worse than the linear mixture on these rows, bucket by bucket.
    """
    buckets = np.asarray(buckets, dtype=np.int64)
    logs = log_features(network, ngram, lowers, weights, buckets)
    return fit_logs(logs, unigram_logs(unigram), len(weights), buckets, targets, iterations,
                    min_rows)


def fit_logs(logs: np.ndarray, unigram_log: np.ndarray, bucket_count: int, buckets: np.ndarray,
             targets: np.ndarray, iterations: int = ITERATIONS,
             min_rows: int = MIN_ROWS) -> np.ndarray:
    """fit() from log_features (rows, factors - 1, vocab), computed once for every Newton
    pass (fit_exponents fills them as the held-out batches come, never holding the
    probabilities themselves), and unigram_logs (vocab,)."""
    factors = logs.shape[1] + 1
    buckets = np.asarray(buckets, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    sizes = np.bincount(buckets, minlength=bucket_count)
    fitted = sizes >= min_rows
    exponents = np.tile(identity(factors), (bucket_count, 1))
    best, best_nll = exponents.copy(), None
    for _ in range(iterations + 1):
        nll, gradient, hessian = _pass(logs, unigram_log, buckets, targets, exponents,
                                       bucket_count)
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


def score_logs(logs: np.ndarray, unigram_log: np.ndarray, buckets: np.ndarray,
               targets: np.ndarray, exponents: np.ndarray) -> tuple[float, int]:
    """(negative log-likelihood summed, targets ranked first) of the corrected mixture over
    log_features rows: the held-out figures of the rows just fitted, without scoring them again."""
    step = max(1, CHUNK_VALUES // logs.shape[2])
    nll, hits = 0.0, 0
    for begin in range(0, len(targets), step):
        rows = slice(begin, begin + step)
        t = np.asarray(targets[rows])
        scores = _scores(np.asarray(logs[rows], np.float32), unigram_log,
                         exponents[buckets[rows]])
        top = scores.max(axis=1)
        at = np.arange(len(t))
        log_z = top + np.log(np.exp(scores - top[:, None]).sum(axis=1, dtype=np.float64))
        nll += float((log_z - scores[at, t]).sum())
        hits += int((scores.argmax(axis=1) == t).sum())
    return nll, hits
