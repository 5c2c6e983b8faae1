import math

import numpy as np
import pytest

from nextword.engine.evaluation import score_ids


class FixedModel:
    """Every position gets the same distribution over 6 ids; id 1 (unknown) is least likely."""
    probabilities = np.array([1e-3, 1e-30, 0.1, 0.5, 0.3, 0.099])

    def initial_state(self, batch):
        return (np.zeros((batch, 1)),)

    def advance(self, token_ids, state):
        return None, state

    def score(self, token_ids, state):
        batch, time = token_ids.shape
        return np.broadcast_to(np.log(self.probabilities), (batch, time, 6)).copy(), state


def test_pieces_scored_side_by_side_score_as_one_pass(predictor):
    """Each piece after the first starts from the state the text before it leaves: with
    the piece before it read first, side by side scores as one pass; without, it does not."""
    ids = np.array(predictor.encode(" ".join(["In the beginning God created the heaven and "
                                              "the earth and the earth was without form"] * 6)))
    one = score_ids(predictor, ids, streams=1, chunk=8)
    side = score_ids(predictor, ids, streams=4, chunk=8)
    assert side.tokens == one.tokens == len(ids)
    assert side.perplexity == pytest.approx(one.perplexity, rel=1e-4)
    assert side.top1_accuracy == one.top1_accuracy
    cold = score_ids(predictor, ids, streams=4, chunk=8, warm=0)
    assert cold.perplexity != pytest.approx(one.perplexity, rel=1e-3)


@pytest.mark.parametrize("streams", [1, 3])
def test_perplexity_and_accuracy_in_closed_form(streams):
    targets = np.array([3, 4, 2, 3, 1, 3, 5, 4, 3, 3])
    result = score_ids(FixedModel(), targets, streams=streams, chunk=2)
    expected_nll = -np.mean(np.log(FixedModel.probabilities[targets]))
    assert result.tokens == 10
    assert result.perplexity == pytest.approx(math.exp(expected_nll))
    assert result.top1_accuracy == pytest.approx(5 / 10)  # token 3
    assert result.top5_accuracy == pytest.approx(9 / 10)  # all but the unknown token (1)
    assert result.unknown_rate == pytest.approx(1 / 10)
