"""Sampling strategies: pick next tokens from a probability vector, never touching the model.

Each strategy takes a 1-D probability vector and a numpy random Generator and returns a token
id. Temperature, the repetition penalty and bans are applied before any strategy sees the
distribution (generation.adjust); the loops that connect strategies to a model are in
generation.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import NextwordError


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits along the last axis (a new array; logits are kept)."""
    exp = np.subtract(logits, np.max(logits, axis=-1, keepdims=True))
    np.exp(exp, out=exp)
    exp /= exp.sum(axis=-1, keepdims=True)
    return exp


class Greedy:
    """Always the most probable token."""

    def __call__(self, probabilities: np.ndarray, rng: np.random.Generator) -> int:
        return int(np.argmax(probabilities))


class Sample:
    """A draw from the whole distribution."""

    def __call__(self, probabilities, rng):
        return int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))


class TopK:
    """A draw from the k most probable tokens, renormalised (Fan et al. 2018)."""

    def __init__(self, k: int):
        if k < 1:
            raise NextwordError(f"--top-k must be at least 1, got {k}")
        self.k = k

    def __call__(self, probabilities, rng):
        k = min(self.k, len(probabilities))
        best = np.argpartition(-probabilities, k - 1)[:k]
        weights = probabilities[best]
        return int(best[rng.choice(k, p=weights / weights.sum())])


class TopP:
    """A draw from the smallest set of tokens whose probability reaches p (Holtzman et al. 2020)."""

    def __init__(self, p: float):
        if not 0.0 < p <= 1.0:
            raise NextwordError(f"--top-p must be in (0, 1], got {p}")
        self.p = p

    def __call__(self, probabilities, rng):
        order = np.argsort(-probabilities, kind="stable")
        cumulative = np.cumsum(probabilities[order])
        size = int(np.searchsorted(cumulative, self.p * cumulative[-1])) + 1
        nucleus = order[:size]
        weights = probabilities[nucleus]
        return int(nucleus[rng.choice(size, p=weights / weights.sum())])


STRATEGIES = ("greedy", "sample", "top-k", "top-p", "beam")


def make_sampler(strategy: str, top_k: int = 40, top_p: float = 0.9):
    """The strategy named on the command line (beam search is separate: see beam_search)."""
    if strategy == "greedy":
        return Greedy()
    if strategy == "sample":
        return Sample()
    if strategy == "top-k":
        return TopK(top_k)
    if strategy == "top-p":
        return TopP(top_p)
    raise NextwordError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
