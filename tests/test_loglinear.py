"""The log-linear correction of the mixture: its arithmetic, its fit, and how it is stored."""

import numpy as np
import pytest

from nextword.ngram import loglinear
from nextword.ngram.mixture import mix


def normalised(x):
    return x / x.sum(axis=1, keepdims=True)


def sample(rng, rows, vocab=30):
    """Held-out rows where the truth is peaked, the network too flat (its logits halved),
    and the n-gram model a noisy copy of the truth: the linear mixture cannot sharpen."""
    logits = rng.normal(0, 2.5, (rows, vocab))
    truth = normalised(np.exp(logits))
    targets = np.array([rng.choice(vocab, p=p) for p in truth])
    network = normalised(np.exp(logits / 2)).astype(np.float32)
    ngram = normalised(truth * rng.uniform(0.3, 1.7, truth.shape) + 0.01).astype(np.float32)
    return network, ngram, targets


UNIGRAM = normalised(np.arange(1, 31, dtype=np.float64)[None])[0].astype(np.float32)
LOG_UNIGRAM = loglinear.unigram_logs(UNIGRAM)


def nll(probabilities, targets):
    return -np.log(probabilities[np.arange(len(targets)), targets]).mean()


def test_identity_exponents_are_the_linear_mixture():
    rng = np.random.default_rng(0)
    network, ngram, _ = sample(rng, 50)
    buckets = rng.integers(0, 3, 50)
    weights = np.array([0.2, 0.5, 0.9], np.float32)
    linear = mix(network, ngram, buckets, weights)
    exponents = np.tile(loglinear.identity(6), (3, 1))
    lowers = [normalised(ngram + 0.1), normalised(ngram + 0.3)]
    # The (buckets, 7) mixture [w, a, c, d, u, l3, l2], through apply() and mix().
    stored = np.column_stack([weights, exponents]).astype(np.float32)
    np.testing.assert_allclose(
        loglinear.apply(network, ngram, lowers, stored, buckets, LOG_UNIGRAM), linear,
        rtol=1e-5)
    assert loglinear.lower_orders(stored) == (3, 2)
    np.testing.assert_allclose(mix(network, ngram, buckets, stored, UNIGRAM, lowers), linear,
                               rtol=1e-5)
    # and each exponent weighs its own factor
    stored[:, 1:] = [0.5, 0.25, 0.5, -0.5, 0.3, -0.2]
    expected = normalised(network ** 0.5 * ngram ** 0.25 * linear ** 0.5 * UNIGRAM ** -0.5
                          * lowers[0] ** 0.3 * lowers[1] ** -0.2)
    np.testing.assert_allclose(mix(network, ngram, buckets, stored, UNIGRAM, lowers), expected,
                               rtol=1e-4)
    # A (buckets, 6) mixture of a format-1 file weighs the order-3 one alone.
    older = stored[:, :6]
    assert loglinear.lower_orders(older) == (3,)
    expected = normalised(network ** 0.5 * ngram ** 0.25 * linear ** 0.5 * UNIGRAM ** -0.5
                          * lowers[0] ** 0.3)
    np.testing.assert_allclose(mix(network, ngram, buckets, older, UNIGRAM, lowers[:1]),
                               expected, rtol=1e-4)


def test_a_word_the_unigram_never_gives_stays_at_the_bottom():
    """Padding has unigram 0: a negative unigram exponent must not lift it to the top."""
    unigram = np.array([0.0, 0.5, 0.3, 0.2], np.float32)
    network = np.array([[1e-9, 0.5, 0.3, 0.2]], np.float32)
    ngram = np.array([[0.0, 0.6, 0.2, 0.2]], np.float32)
    corrected = loglinear.apply(network, ngram, [ngram], np.array([[0.5, 0, 0, 1, -1.0, 0]]),
                                np.zeros(1, int), loglinear.unigram_logs(unigram))
    assert corrected[0].argmin() == 0 and corrected[0, 0] < 1e-6


def test_fitted_exponents_beat_the_linear_mixture_on_new_rows():
    rng = np.random.default_rng(1)
    network, ngram, targets = sample(rng, 3000)
    buckets = np.where(np.arange(3000) < 2950, 1, 2)  # bucket 2: too few rows; 0: none
    weights = np.array([0.5, 0.5, 0.5], np.float32)
    exponents = loglinear.fit(network, ngram, UNIGRAM, [normalised(ngram + 0.1)], weights,
                              buckets, targets)
    assert exponents.shape == (3, 5) and exponents.dtype == np.float32
    np.testing.assert_array_equal(exponents[[0, 2]], [loglinear.identity(5)] * 2)
    assert exponents[1, 0] > 0.3  # the flat network is sharpened
    # Better on the rows it was fitted on, and on rows it has not seen.
    for rows in (sample(rng, 1000) + (np.ones(1000, int),),
                 (network, ngram, targets, buckets)):
        net, ng, tg, b = rows
        linear = mix(net, ng, b, weights)
        corrected = loglinear.apply(net, ng, [normalised(ng + 0.1)],
                                    np.column_stack([weights, exponents]), b, LOG_UNIGRAM)
        np.testing.assert_allclose(corrected.sum(axis=1), 1, rtol=1e-5)
        assert nll(corrected, tg) < nll(linear, tg) - 0.05


def test_a_bucket_the_steps_would_make_worse_keeps_the_linear_mixture():
    """Where the linear mixture is already right (the network is the truth), fitting can only
    find exponents about as good: never worse on the fitting rows."""
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, (600, 20))
    network = normalised(np.exp(logits)).astype(np.float32)
    targets = np.array([rng.choice(20, p=p) for p in network.astype(np.float64) /
                        network.astype(np.float64).sum(axis=1, keepdims=True)])
    ngram = np.full_like(network, 1 / 20)
    weights = np.array([0.999], np.float32)
    buckets = np.zeros(600, int)
    unigram = np.full(20, 1 / 20, np.float32)
    exponents = loglinear.fit(network, ngram, unigram, [ngram, ngram], weights, buckets,
                              targets)
    assert exponents.shape == (1, 6)
    linear = mix(network, ngram, buckets, weights)
    assert nll(loglinear.apply(network, ngram, [ngram, ngram],
                               np.column_stack([weights, exponents]), buckets,
                               loglinear.unigram_logs(unigram)),
               targets) \
        <= nll(linear, targets) + 1e-6


def test_scoring_the_fitted_rows_from_their_logs_equals_mixing_them():
    """fit_ngram takes the fitted rows' held-out figures from their log factors (score_logs)
    rather than scoring them again: the same figures as mix()."""
    rng = np.random.default_rng(3)
    network, ngram, targets = sample(rng, 700)
    buckets = rng.integers(0, 2, 700)
    lowers = [normalised(ngram + 0.2), normalised(ngram + 0.5)]
    mixture = np.column_stack([[0.4, 0.6], rng.uniform(-0.5, 1.0, (2, 6))]).astype(np.float32)
    logs = loglinear.log_features(network, ngram, lowers, mixture[:, 0], buckets)
    total, hits = loglinear.score_logs(logs, LOG_UNIGRAM, buckets, targets, mixture[:, 1:])
    mixed = mix(network, ngram, buckets, mixture, UNIGRAM, lowers)
    assert total / 700 == pytest.approx(nll(mixed, targets), rel=1e-5)
    assert hits == int((mixed.argmax(axis=1) == targets).sum())


def test_log_factors_held_in_float16_fit_as_float32_ones_do():
    rng = np.random.default_rng(3)
    network, ngram, targets = sample(rng, 600)
    buckets = rng.integers(0, 2, 600)
    weights = np.array([0.3, 0.7], np.float32)
    lowers = [normalised(ngram + 0.1), normalised(ngram + 0.3)]
    exact = loglinear.log_features(network, ngram, lowers, weights, buckets)
    half = np.empty(exact.shape, np.float16)
    assert loglinear.log_features(network, ngram, lowers, weights, buckets, out=half) is half
    assert np.abs(half.astype(np.float32) - exact).max() < 0.03  # never log(0): floored first
    fitted = [loglinear.fit_logs(logs, LOG_UNIGRAM, 2, buckets, targets, min_rows=50)
              for logs in (exact, half)]
    # The exponents differ a little (the two lower orders are nearly collinear here); how
    # well they fit, scored on the exact logs, does not, nor does a score from the half logs.
    scores = [loglinear.score_logs(exact, LOG_UNIGRAM, buckets, targets, e)[0] for e in fitted]
    assert abs(scores[0] - scores[1]) < 1e-3 * abs(scores[0])
    assert np.abs(fitted[0] - fitted[1]).max() < 0.05
    half_score = loglinear.score_logs(half, LOG_UNIGRAM, buckets, targets, fitted[0])[0]
    assert abs(half_score - scores[0]) < 1e-3 * abs(scores[0])
