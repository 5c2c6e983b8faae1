"""Sampling strategies: pick next tokens from a probability vector, never touching the model.

Each strategy takes a 1-D probability vector and a numpy random Generator and returns a token
id. Temperature and the logit adjustments (repetition penalty, banned tokens) are applied once,
in `adjust_logits`, before any strategy sees the distribution. `generate` and `beam_search`
connect strategies to a model only through a `step(tokens, state) -> (logits, state)` callable.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .errors import NextwordError


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


def check_temperature(temperature: float) -> None:
    if temperature <= 0:
        raise NextwordError(f"--temperature must be above 0, got {temperature}; "
                            "for the most likely words use --strategy greedy")


def banned_by_ngrams(history: Sequence[int], n: int) -> set[int]:
    """Tokens that would repeat an n-gram already in history (n < 1: none)."""
    if n < 1 or len(history) < n - 1:
        return set()
    if n == 1:
        return set(history)
    tail = tuple(history[len(history) - (n - 1):])
    return {history[i + n - 1] for i in range(len(history) - n + 1)
            if tuple(history[i:i + n - 1]) == tail}


def adjust_logits(logits: np.ndarray, history: Sequence[int], banned: Sequence[int],
                  temperature: float = 1.0, repetition_penalty: float = 1.0,
                  no_repeat_ngram: int = 0) -> np.ndarray:
    """Apply the repetition penalty, bans and temperature; the one place temperature lives.

    The repetition penalty (Keskar et al. 2019) divides positive logits of tokens already in
    history by the penalty and multiplies negative ones.
    """
    logits = np.array(logits, dtype=np.float64)
    if repetition_penalty != 1.0 and len(history):
        seen = np.unique(np.asarray(history))
        values = logits[seen]
        logits[seen] = np.where(values > 0, values / repetition_penalty,
                                values * repetition_penalty)
    blocked = set(banned) | banned_by_ngrams(history, no_repeat_ngram)
    if blocked:
        logits[list(blocked)] = -np.inf
    if not np.isfinite(logits).any():
        raise NextwordError("every word is banned at this point; lower --no-repeat-ngram")
    return logits / temperature


Step = Callable[[np.ndarray, object], tuple]


def generate(step: Step, state, logits: np.ndarray, history: list[int], words: int, sampler,
             rng: np.random.Generator, banned: Sequence[int], stop_token: int | None = None,
             temperature: float = 1.0, repetition_penalty: float = 1.0,
             no_repeat_ngram: int = 0) -> list[int]:
    """Draw up to `words` tokens one at a time, carrying the recurrent state.

    Args:
        step: (tokens of shape (1,), state) -> (logits of shape (1, vocab), new state).
        state, logits: the model's state and next-token logits after the prefix.
        history: token ids so far (prefix), for the penalties; not modified.
        stop_token: stop when this token is drawn (it is not returned).
    """
    history = list(history)
    chosen: list[int] = []
    for _ in range(words):
        adjusted = adjust_logits(logits, history, banned, temperature, repetition_penalty,
                                 no_repeat_ngram)
        token = sampler(softmax(adjusted), rng)
        if token == stop_token:
            break
        chosen.append(token)
        history.append(token)
        if len(chosen) == words:
            break
        logits, state = step(np.array([token], dtype=np.int32), state)
        logits = logits[0]
    return chosen


def beam_search(step: Step, state, logits: np.ndarray, history: list[int], words: int, beams: int,
                banned: Sequence[int], stop_token: int | None = None,
                repetition_penalty: float = 1.0, no_repeat_ngram: int = 0,
                select_state=None) -> list[int]:
    """The most probable continuation found keeping `beams` hypotheses with their states.

    Args:
        step: as in generate, but called on a batch of `beams` tokens and states.
        select_state: (state, indices) -> state of the chosen hypotheses' rows.
    Returns:
        The token ids of the best hypothesis (a finished one ends at stop_token, not included).
    """
    if beams < 1:
        raise NextwordError(f"--beams must be at least 1, got {beams}")
    sequences: list[list[int]] = [[]]
    scores = np.zeros(1)
    finished: list[tuple[float, list[int]]] = []
    logits = np.asarray(logits)[None, :]
    for position in range(words):
        candidates = []
        for row, sequence in enumerate(sequences):
            adjusted = adjust_logits(logits[row], history + sequence, banned, 1.0,
                                     repetition_penalty, no_repeat_ngram)
            log_probabilities = adjusted - np.logaddexp.reduce(adjusted[np.isfinite(adjusted)])
            best = np.argsort(-log_probabilities, kind="stable")[:beams]
            candidates += [(scores[row] + log_probabilities[t], row, int(t)) for t in best
                           if np.isfinite(log_probabilities[t])]
        candidates.sort(key=lambda c: -c[0])
        survivors = []
        for score, row, token in candidates:
            if token == stop_token:
                finished.append((score, sequences[row]))
            else:
                survivors.append((score, row, token))
            if len(survivors) == beams:
                break
        sequences = [sequences[r] + [t] for _, r, t in survivors]
        scores = np.array([s for s, _, _ in survivors])
        if not survivors or position == words - 1:
            break
        state = select_state(state, np.array([r for _, r, _ in survivors]))
        logits, state = step(np.array([t for _, _, t in survivors], dtype=np.int32), state)
        logits = np.asarray(logits)
        if finished and max(f[0] for f in finished) >= scores.max():
            break  # scores only fall: no open hypothesis can beat a finished one
    finished += list(zip(scores.tolist(), sequences))
    return max(finished, key=lambda f: f[0])[1] if finished else []
