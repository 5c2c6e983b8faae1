"""A model file written by an earlier nextword (tests/fixtures, model format 1) loads and
predicts exactly as it did when it was written: in numpy, and as a Keras model in safe mode."""

import json
import os

import numpy as np
import pytest

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
MODEL = os.path.join(HERE, "tiny-v1.keras")


@pytest.fixture(scope="module")
def expected():
    with open(os.path.join(HERE, "tiny-v1.expected.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def fixture_predictor():
    import nextword

    return nextword.load(MODEL, recent_weight=0)  # the model's own distributions


def test_the_fixture_predicts_what_it_did(fixture_predictor, expected):
    """The same distributions to 1e-5; and the next words and completions the engine offers
    now are those distributions' likeliest words (how they are offered changed since the file
    was written: the case they are written in, the recent-words cache's weight)."""
    predictor = fixture_predictor
    assert len(predictor.vocabulary) == expected["vocabulary size"]
    assert predictor.blocked_words == expected["blocked"]
    assert predictor.learned == expected["learned"]
    tokens = predictor.vocabulary.tokens
    offered = [i for i, token in enumerate(tokens) if i >= 3 and token not in expected["blocked"]]
    for prefix, distribution in expected["distributions"].items():
        np.testing.assert_allclose(predictor.distribution(prefix), distribution, rtol=1e-5,
                                   atol=1e-9)
        best = sorted(offered, key=lambda i: (-distribution[i], i))[:5]
        got = predictor.predict(prefix, 5)
        assert [word.lower() for word, _ in got] == [tokens[i] for i in best]
        np.testing.assert_allclose([p for _, p in got], [distribution[i] for i in best],
                                   rtol=1e-5)
    # The model's words first; the spelling list's words the model never saw after them.
    for text, words in expected["complete"].items():
        got = predictor.complete(text, 5)
        assert [word.lower() for word, _ in got][:len(words)] == [word for word, _ in words]
        assert all(word.lower() not in predictor.vocabulary.index for word, _ in got[len(words):])


def test_keras_loads_the_fixture_in_safe_mode(expected):
    import keras

    import nextword  # noqa: F401  registers nextword's layers

    model = keras.saving.load_model(MODEL, compile=False, safe_mode=True)
    tokens = np.array([["<eol>", "and", "the", "lord", "said"]], dtype=object)
    np.testing.assert_allclose(np.asarray(model(tokens))[0, -1], expected["keras"],
                               rtol=1e-4, atol=1e-7)
