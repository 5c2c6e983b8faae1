import numpy as np
import pytest

from nextword import sampling
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
                                  lambda: sampling.TopP(1.5),
                                  lambda: sampling.check_temperature(0)])
def test_bad_sampler_options(make):
    with pytest.raises(NextwordError):
        make()


def test_temperature_and_bans_in_adjust_logits():
    logits = np.log(PROBABILITIES)
    adjusted = sampling.adjust_logits(logits, history=[], banned=[1], temperature=0.5)
    assert adjusted[1] == -np.inf
    np.testing.assert_allclose(adjusted[2], np.log(0.3) / 0.5)


def test_repetition_penalty_and_no_repeat_ngram():
    logits = np.array([1.0, 2.0, -1.0, 0.5])
    adjusted = sampling.adjust_logits(logits, history=[1, 2], banned=[], repetition_penalty=2.0)
    np.testing.assert_allclose(adjusted, [1.0, 1.0, -2.0, 0.5])
    assert sampling.banned_by_ngrams([5, 6, 7, 5, 6], 3) == {7}
    assert sampling.banned_by_ngrams([5, 6, 7], 0) == set()


def hand_built_model():
    """States are the last token. From start (state -1): token 0 (p=.6) or 1 (p=.4).
    After 0, every continuation has p=.3 at best; after 1, token 2 has p=.9.
    Greedy takes 0 then .3 (total .18); the best sequence is 1, 2 (total .36)."""
    table = {-1: [0.6, 0.4, 0.0, 0.0], 0: [0.3, 0.3, 0.2, 0.2], 1: [0.05, 0.05, 0.9, 0.0],
             2: [0.25] * 4, 3: [0.25] * 4}

    def logits_for(token):
        return np.log(np.maximum(np.array(table[token]), 1e-12))

    def step(tokens, state):
        return np.stack([logits_for(int(t)) for t in tokens]), np.asarray(tokens)

    return step, logits_for(-1)


def test_beam_search_finds_sequence_greedy_misses():
    step, first = hand_built_model()
    greedy = sampling.generate(step, None, first, [], 2, sampling.Greedy(),
                               np.random.default_rng(0), banned=[])
    assert greedy == [0, 0]
    best = sampling.beam_search(step, np.array([-1]), first, [], 2, beams=2, banned=[],
                                select_state=lambda state, rows: np.asarray(state)[rows])
    assert best == [1, 2]


def test_generate_stops_at_stop_token():
    step, _ = hand_built_model()
    after_one, _ = step(np.array([1]), None)  # greedy: 2 (p=.9), then 0 from the uniform row
    tokens = sampling.generate(step, None, after_one[0], [], 5, sampling.Greedy(),
                               np.random.default_rng(0), banned=[], stop_token=0)
    assert tokens == [2]
