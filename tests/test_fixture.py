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

    return nextword.load(MODEL)


def test_the_fixture_predicts_what_it_did(fixture_predictor, expected):
    predictor = fixture_predictor
    assert len(predictor.vocabulary) == expected["vocabulary size"]
    assert predictor.blocked_words == expected["blocked"]
    assert predictor.learned == expected["learned"]
    for prefix, distribution in expected["distributions"].items():
        np.testing.assert_allclose(predictor.distribution(prefix), distribution, rtol=1e-5,
                                   atol=1e-9)
    for prefix, words in expected["predict"].items():
        got = predictor.predict(prefix, 5)
        assert [word for word, _ in got] == [word for word, _ in words]
        np.testing.assert_allclose([p for _, p in got], [p for _, p in words], rtol=1e-5)
    for text, words in expected["complete"].items():
        got = predictor.complete(text, 5)
        assert [word for word, _ in got] == [word for word, _ in words]
        np.testing.assert_allclose([p for _, p in got], [p for _, p in words], rtol=1e-5)


def test_keras_loads_the_fixture_in_safe_mode(expected):
    import keras

    import nextword  # noqa: F401  registers nextword's layers

    model = keras.saving.load_model(MODEL, compile=False, safe_mode=True)
    tokens = np.array([["<eol>", "and", "the", "lord", "said"]], dtype=object)
    np.testing.assert_allclose(np.asarray(model(tokens))[0, -1], expected["keras"],
                               rtol=1e-4, atol=1e-7)
