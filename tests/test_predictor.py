"""The predictor's stepped state against full forward passes, and the Python API."""

import numpy as np
import pytest

from nextword import Config
from nextword.vocab import SPECIALS, Vocabulary

WORDS = ["the", "lord", "said", "and", "god", ",", "."]


def make_predictor(ngram_order=0, **options):
    from nextword._tf import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from nextword.model import build_model, build_predictor_model
    from nextword.predictor import Predictor

    config = Config(units=6, embedding_dim=5, dropout=0.1, seed=0, **options)
    vocabulary = Vocabulary(list(SPECIALS) + WORDS)
    keras.utils.set_random_seed(0)
    core = build_model(config, len(vocabulary))
    table = mixture = None
    if ngram_order:
        from nextword.ngram import NGramTable

        ids = np.random.default_rng(0).integers(2, len(vocabulary), 400)
        table = NGramTable.build(ids, len(vocabulary), ngram_order)
        mixture = np.linspace(0.2, 0.8, table.bucket_count()).astype(np.float32)
    model = build_predictor_model(core, vocabulary, table, mixture)
    return Predictor(model, {"config": config.to_dict()})


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
@pytest.mark.parametrize("layers, tie, ngram_order", [(1, True, 0), (2, False, 0), (1, True, 3)])
def test_stepped_distribution_equals_full_pass(cell, layers, tie, ngram_order):
    """numpy stepping (predict, generate) = the Keras model = the batched scorer (evaluate)."""
    predictor = make_predictor(cell=cell, layers=layers, tie_weights=tie, ngram_order=ngram_order)
    assert (predictor.ngram is not None) == bool(ngram_order)
    tokens = ["<eol>", "and", "god", "said", ",", "the", "lord", "."]
    full = predictor.model(np.array([tokens], dtype=object)).numpy()[0]
    ids = np.array(predictor.vocabulary.encode(tokens), dtype=np.int32)
    state = predictor.initial_state(1)
    for position, token in enumerate(ids):
        logits, state = predictor.step(np.array([token]), state)
        stepped = np.exp(logits[0] - logits[0].max())
        np.testing.assert_allclose(stepped / stepped.sum(), full[position], atol=1e-5)
    prefix_logits, _ = predictor.advance(ids[None, :])
    np.testing.assert_allclose(prefix_logits[0], logits[0], atol=1e-5)
    scored, _ = predictor.score(ids[None, :], predictor.initial_state(1))  # TensorFlow path
    np.testing.assert_allclose(scored[0, -1], logits[0], atol=1e-5)


def test_predict_never_suggests_special_tokens_and_k_beyond_vocabulary():
    predictor = make_predictor()
    suggestions = predictor.predict("the lord", k=100)
    words = [word for word, _ in suggestions]
    assert sorted(words) == sorted(WORDS)
    probabilities = [p for _, p in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)


def test_empty_prefix_is_the_start_of_line_distribution():
    predictor = make_predictor()
    assert predictor.predict("", k=3) == predictor.predict("  ", k=3)


def test_unknown_prefix_is_an_error_but_mixed_prefix_is_not():
    from nextword.errors import NextwordError

    predictor = make_predictor()
    with pytest.raises(NextwordError, match="none of the words"):
        predictor.predict("zebra quokka")
    assert len(predictor.predict("zebra the")) == 5


def test_generate_is_reproducible_and_never_emits_padding_or_unknown():
    predictor = make_predictor()
    first = predictor.generate_tokens("the", words=40, strategy="sample", seed=5)
    assert first == predictor.generate_tokens("the", words=40, strategy="sample", seed=5)
    assert len(first) == 40 and not {"<pad>", "<unk>"} & set(first)
    beam = predictor.generate_tokens("the", words=5, strategy="beam", beams=3)
    assert 1 <= len(beam) <= 5


def test_ngram_mixture_generates_and_can_be_switched_off():
    predictor = make_predictor(ngram_order=3)
    text = predictor.generate_tokens("the lord", words=12, strategy="beam", beams=3)
    assert 1 <= len(text) <= 12
    from nextword.predictor import Predictor

    alone = Predictor(predictor.model, predictor.meta, ngram=False)
    assert alone.ngram is None and len(alone.initial_state(1)) == 1
    assert not np.allclose(alone.distribution("the lord"), predictor.distribution("the lord"))
