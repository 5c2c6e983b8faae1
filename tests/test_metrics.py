import math

import numpy as np
import pytest

from nextword.metrics import score_ids


class FixedModel:
    """Every position gets the same distribution over 6 ids; id 1 (unknown) is least likely."""
    probabilities = np.array([1e-3, 1e-30, 0.1, 0.5, 0.3, 0.099])

    def initial_state(self, batch):
        return None

    def score(self, token_ids, state):
        batch, time = token_ids.shape
        return np.broadcast_to(np.log(self.probabilities), (batch, time, 6)).copy(), state


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
