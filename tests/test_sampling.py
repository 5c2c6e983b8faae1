import re

import numpy as np
import pytest

from nextword.engine import generation, sampling
from nextword.engine.generation import GenerationConfig
from nextword.errors import NextwordError

PROBABILITIES = np.array([0.05, 0.4, 0.3, 0.15, 0.1])


def draws(sampler, seed=0, n=400):
    rng = np.random.default_rng(seed)
    return [sampler(PROBABILITIES, rng) for _ in range(n)]


def test_greedy_picks_argmax():
    assert set(draws(sampling.Greedy())) == {1}


def test_top_k_draws_only_from_k_best():
    assert set(draws(sampling.TopK(2))) == {1, 2}


def test_top_p_draws_only_from_nucleus():
    assert set(draws(sampling.TopP(0.65))) == {1, 2}  # 0.4 + 0.3 reaches 0.65
    assert set(draws(sampling.TopP(0.7))) == {1, 2}
    assert set(draws(sampling.TopP(0.71))) == {1, 2, 3}


def test_sample_reaches_everything_and_fixed_seed_repeats():
    assert set(draws(sampling.Sample())) == {0, 1, 2, 3, 4}
    assert draws(sampling.Sample(), seed=7) == draws(sampling.Sample(), seed=7)


@pytest.mark.parametrize("make", [lambda: sampling.TopK(0), lambda: sampling.TopP(0.0),
                                  lambda: sampling.TopP(1.5)])
def test_bad_sampler_options(make):
    with pytest.raises(NextwordError):
        make()


@pytest.mark.parametrize("settings, message", [
    (dict(words=0), "--words must be at least 1, got 0"),
    (dict(top_k=0), "--top-k must be at least 1, got 0"),
    (dict(beams=0), "--beams must be at least 1, got 0"),
    (dict(temperature=0.0), "use --strategy greedy"),
    (dict(top_p=1.5), "--top-p must be in (0, 1], got 1.5"),
    (dict(repetition_penalty=0.0), "--repetition-penalty must be above 0"),
    (dict(no_repeat_ngram=-1), "--no-repeat-ngram must be 0 or more"),
    (dict(strategy="nucleus"), "unknown strategy 'nucleus'"),
])
def test_generation_config_checks_itself_once(settings, message):
    with pytest.raises(NextwordError, match=re.escape(message)):
        GenerationConfig(**settings)
    with pytest.raises(NextwordError, match=re.escape(message)):
        GenerationConfig().replace(**settings)


def test_temperature_and_bans_in_adjust():
    adjusted = generation.adjust(PROBABILITIES, history=[], banned=[1], temperature=0.5)
    assert adjusted[1] == 0 and adjusted.sum() == pytest.approx(1.0)
    expected = PROBABILITIES ** 2  # temperature 0.5: squared, then renormalised
    expected[1] = 0
    np.testing.assert_allclose(adjusted, expected / expected.sum())


def test_repetition_penalty_and_no_repeat_ngram():
    adjusted = generation.adjust(PROBABILITIES, history=[1, 2], banned=[], repetition_penalty=2.0)
    expected = PROBABILITIES.copy()
    expected[[1, 2]] **= 2  # a log-probability times the penalty
    np.testing.assert_allclose(adjusted, expected / expected.sum())
    assert generation.banned_by_ngrams([5, 6, 7, 5, 6], 3) == {7}
    assert generation.banned_by_ngrams([5, 6, 7], 0) == set()
    with pytest.raises(NextwordError, match="every word is banned"):
        generation.adjust(PROBABILITIES, history=[], banned=range(5))


def hand_built_model():
    """States are the last token. From start (state -1): token 0 (p=.6) or 1 (p=.4).
    After 0, every continuation has p=.3 at best; after 1, token 2 has p=.9.
    Greedy takes 0 then .3 (total .18); the best sequence is 1, 2 (total .36)."""
    table = {-1: [0.6, 0.4, 0.0, 0.0], 0: [0.3, 0.3, 0.2, 0.2], 1: [0.05, 0.05, 0.9, 0.0],
             2: [0.25] * 4, 3: [0.25] * 4}

    def step(tokens, state):
        return np.stack([np.array(table[int(t)]) for t in tokens]), np.asarray(tokens)

    return step, np.array(table[-1])


def test_beam_search_finds_sequence_greedy_misses():
    step, first = hand_built_model()
    settings = GenerationConfig(words=2, strategy="greedy", repetition_penalty=1.0,
                                temperature=1.0)
    assert generation.generate(step, None, first, [], settings, banned=[]) == [0, 0]
    best = generation.beam_search(step, np.array([-1]), first, [],
                                  settings.replace(strategy="beam", beams=2), banned=[],
                                  select_state=lambda state, rows: np.asarray(state)[rows])
    assert best == [1, 2]


def test_generate_stops_at_stop_token():
    step, _ = hand_built_model()
    after_one, _ = step(np.array([1]), None)  # greedy: 2 (p=.9), then 0 from the uniform row
    settings = GenerationConfig(words=5, strategy="greedy", repetition_penalty=1.0)
    tokens = generation.generate(step, None, after_one[0], [], settings, banned=[],
                                 stop_token=0)
    assert tokens == [2]
