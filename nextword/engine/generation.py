"""Generation settings and the loops that draw words, carrying the model's state.

`GenerationConfig` holds every generation setting with its default and help text (the CLI's
options and the server's request fields are built from it) and checks itself once. The loops
see the model only through a `step(tokens, state) -> (probabilities, state)` callable and
strategies only through sampling.py, so they work for any model, tested on hand-made tables.

Everything happens in probability space: the model's distribution (the network's softmax or
its mixture with the n-gram model) is adjusted (bans, repetition penalty, temperature) and
handed to the strategy without a round trip through logarithms.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..config import option
from ..errors import NextwordError
from .sampling import STRATEGIES, make_sampler


# Greedy and beam search choose the likeliest words, and the likeliest text loops ("the
# children of Israel, and the children of Israel, ..."): by default they never repeat a
# 3-gram. On 100 held-out KJV prompts, 50 tokens each (benchmarks/repetition.py), repeated
# 4-grams fell from 10.9% (greedy) and 8.8% (beam) to 0.0%, where the held-out text itself
# has 0.5% (10th-90th percentile of its texts 0.0-2.3%).
NO_REPEAT_DEFAULT = 3
DETERMINISTIC = ("greedy", "beam")


@dataclass(frozen=True)
class GenerationConfig:
    """How to continue a text; raises NextwordError on impossible values when made."""
    words: int = option(30, "Most words to generate.", flag="-n/--words")
    strategy: str = option(
        "top-p", "How to choose each word: the most likely, a draw from all, from the k most "
        "likely, from the nucleus of probability p, or beam search.", choices=STRATEGIES)
    temperature: float = option(0.8, "Below 1 sharpens the distribution, above 1 flattens it.")
    top_k: int = option(40, "Words to draw from with --strategy top-k.")
    top_p: float = option(0.9, "Probability mass to draw from with --strategy top-p.")
    beams: int = option(4, "Hypotheses kept with --strategy beam.")
    repetition_penalty: float = option(
        1.2, "Above 1 makes words already used less likely: their probability is raised to "
        "this power (1 turns it off).")
    no_repeat_ngram: int | None = option(
        None, "Never repeat an n-gram of this many words (0 turns it off). Default: 3 for "
        "greedy and beam search, which otherwise loop, 0 for the strategies that draw.",
        type=int)
    stop_at_eol: bool = option(False, "End the text at the first end of line.",
                               flag="--stop-at-eol")
    seed: int | None = option(None, "Random seed: same seed, same text.", type=int)

    def __post_init__(self):
        for name in ("words", "top_k", "beams"):
            if getattr(self, name) < 1:
                raise NextwordError(f"--{name.replace('_', '-')} must be at least 1, "
                                    f"got {getattr(self, name)}")
        if self.strategy not in STRATEGIES:
            raise NextwordError(f"unknown strategy {self.strategy!r}; choose one of "
                                f"{', '.join(STRATEGIES)}")
        if not self.temperature > 0:
            raise NextwordError(f"--temperature must be above 0, got {self.temperature}; "
                                "for the most likely words use --strategy greedy")
        if not 0.0 < self.top_p <= 1.0:
            raise NextwordError(f"--top-p must be in (0, 1], got {self.top_p}")
        if not self.repetition_penalty > 0:
            raise NextwordError(f"--repetition-penalty must be above 0, "
                                f"got {self.repetition_penalty}")
        if self.seed is not None and self.seed < 0:
            raise NextwordError(f"--seed must be 0 or more, got {self.seed}")
        if self.no_repeat_ngram is not None and self.no_repeat_ngram < 0:
            raise NextwordError(f"--no-repeat-ngram must be 0 or more, got "
                                f"{self.no_repeat_ngram}")

    @classmethod
    def options(cls) -> list:
        return list(dataclasses.fields(cls))

    def replace(self, **changes) -> "GenerationConfig":
        return dataclasses.replace(self, **changes)

    @property
    def ngram_ban(self) -> int:
        """The n-gram size never repeated: no_repeat_ngram, or the strategy's default."""
        if self.no_repeat_ngram is not None:
            return self.no_repeat_ngram
        return NO_REPEAT_DEFAULT if self.strategy in DETERMINISTIC else 0

    def sampler(self):
        """The strategy that draws each word (beam search has its own loop)."""
        return make_sampler(self.strategy, self.top_k, self.top_p)


def banned_by_ngrams(history: Sequence[int], n: int) -> set[int]:
    """Tokens that would repeat an n-gram already in history (n < 1: none)."""
    if n < 1 or len(history) < n - 1:
        return set()
    if n == 1:
        return set(history)
    tail = tuple(history[len(history) - (n - 1):])
    return {history[i + n - 1] for i in range(len(history) - n + 1)
            if tuple(history[i:i + n - 1]) == tail}


def adjust(probabilities: np.ndarray, history: Sequence[int], banned: Sequence[int],
           temperature: float = 1.0, repetition_penalty: float = 1.0,
           no_repeat_ngram: int = 0) -> np.ndarray:
    """Apply the repetition penalty, bans and temperature; returns a new distribution.

    The penalty raises the probability of each word already in history to its power (a
    log-probability times the penalty, Keskar et al. 2019's rule on log-probabilities);
    temperature T raises every probability to 1/T. The one place temperature lives.
    """
    adjusted = np.array(probabilities, dtype=np.float64)
    if repetition_penalty != 1.0 and len(history):
        seen = np.unique(np.asarray(history))
        adjusted[seen] **= repetition_penalty
    blocked = set(banned) | banned_by_ngrams(history, no_repeat_ngram)
    if blocked:
        adjusted[list(blocked)] = 0.0
    if temperature != 1.0:
        peak = adjusted.max()
        if peak > 0:  # scaled first: a small probability to a large power underflows
            adjusted /= peak
        adjusted **= 1.0 / temperature
    total = adjusted.sum()
    if not total > 0:
        raise NextwordError("every word is banned at this point; lower --no-repeat-ngram")
    adjusted /= total
    return adjusted


Step = Callable[[np.ndarray, object], tuple]


def generate(step: Step, state, probabilities: np.ndarray, history: list[int],
             config: GenerationConfig, banned: Sequence[int],
             stop_token: int | None = None) -> list[int]:
    """Draw up to config.words tokens one at a time, carrying the recurrent state.

    Args:
        step: (tokens of shape (1,), state) -> (probabilities of shape (1, vocab), new state).
        state, probabilities: the model's state and next-token distribution after the prefix.
        history: token ids so far (prefix), for the penalties; not modified.
        stop_token: stop when this token is drawn (it is not returned).
    """
    sampler = config.sampler()
    rng = np.random.default_rng(config.seed)
    history = list(history)
    chosen: list[int] = []
    for _ in range(config.words):
        adjusted = adjust(probabilities, history, banned, config.temperature,
                          config.repetition_penalty, config.ngram_ban)
        token = sampler(adjusted, rng)
        if token == stop_token:
            break
        chosen.append(token)
        history.append(token)
        if len(chosen) == config.words:
            break
        probabilities, state = step(np.array([token], dtype=np.int32), state)
        probabilities = probabilities[0]
    return chosen


def beam_search(step: Step, state, probabilities: np.ndarray, history: list[int],
                config: GenerationConfig, banned: Sequence[int],
                stop_token: int | None = None, select_state=None) -> list[int]:
    """The most probable continuation found keeping config.beams hypotheses with their states.

    Args:
        step: as in generate, but called on a batch of hypotheses' tokens and states.
        select_state: (state, indices) -> state of the chosen hypotheses' rows.
    Returns:
        The token ids of the best hypothesis (a finished one ends at stop_token, not included).
    """
    beams = config.beams
    sequences: list[list[int]] = [[]]
    scores = np.zeros(1)
    finished: list[tuple[float, list[int]]] = []
    probabilities = np.asarray(probabilities)[None, :]
    with np.errstate(divide="ignore"):
        for position in range(config.words):
            candidates = []
            for row, sequence in enumerate(sequences):
                log_probabilities = np.log(adjust(
                    probabilities[row], history + sequence, banned, 1.0,
                    config.repetition_penalty, config.ngram_ban))
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
            if not survivors or position == config.words - 1:
                break
            state = select_state(state, np.array([r for _, r, _ in survivors]))
            probabilities, state = step(np.array([t for _, _, t in survivors], dtype=np.int32),
                                        state)
            probabilities = np.asarray(probabilities)
            if finished and max(f[0] for f in finished) >= scores.max():
                break  # scores only fall: no open hypothesis can beat a finished one
    finished += list(zip(scores.tolist(), sequences))
    return max(finished, key=lambda f: f[0])[1] if finished else []


def repeated_ngrams(words: Sequence[str], n: int = 4) -> float:
    """The share of a text's n-grams that repeat an n-gram earlier in it (0: none)."""
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def distinct(words: Sequence[str], n: int = 2) -> float:
    """distinct-n: the share of a text's n-grams that are different (1: all)."""
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0
