"""Mixing the network with the n-gram model: per-bucket weights fitted by EM, and the mixture.

A row's bucket says how much the n-gram model knows there (the longest context it has seen,
and how often: NGramTable.distributions); the network's weight is fitted per bucket on
held-out text, and log-linear exponents may correct the linear mixture (loglinear.py).
"""

from __future__ import annotations

import numpy as np

from . import loglinear


def histories(ids: np.ndarray, first: int, count: int, keep: int) -> np.ndarray:
    """The `keep` ids up to and including each of `count` positions from `first`, per row.

    ids: (rows, time); returns (rows * count, keep) in the order of a (rows, count) reshape,
    ready for NGramTable.distributions. Positions need keep - 1 ids before them.
    """
    windows = np.lib.stride_tricks.sliding_window_view(ids, keep, axis=1)
    return windows[:, first - keep + 1:first - keep + 1 + count].reshape(-1, keep)


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
