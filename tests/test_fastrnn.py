"""fastrnn.py: the training-only recurrent layers compute what Keras's compute."""

import numpy as np
import pytest


def _pair(cell, layers, **build):
    from nextword import Config
    from nextword.network.model import build_model

    config = Config(cell=cell, layers=layers, units=8, embedding_dim=6, dropout=0.0,
                    tie_weights=layers == 1)
    fast = build_model(config, 30, fast=True, **build)
    plain = build_model(config, 30, **build)
    plain.set_weights(fast.get_weights())
    return fast, plain


@pytest.mark.parametrize("cell,layers", [("gru", 1), ("lstm", 2), ("simplernn", 1)])
@pytest.mark.parametrize("steps", [7, 70], ids=["fast", "keras-loop"])
def test_same_outputs_and_gradients_as_keras(cell, layers, steps, monkeypatch):
    import keras
    import tensorflow as tf

    from nextword.network.fastrnn import UNROLL

    fast, plain = _pair(cell, layers)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 30, (3, steps)).astype("int32")
    weights = tf.constant(rng.normal(size=(3, steps, 30)), tf.float32)
    results = []
    for model in (fast, plain):
        with monkeypatch.context() as patch:
            if model is fast and cell != "simplernn" and steps <= UNROLL:  # not Keras's loop
                patch.setattr(keras.layers.RNN, "inner_loop", None)
            with tf.GradientTape() as tape:
                outputs = model(ids, training=True)
                objective = tf.reduce_sum(outputs * weights)
        results.append((outputs, tape.gradient(objective, model.trainable_variables)))
    (fast_out, fast_grads), (plain_out, plain_grads) = results
    np.testing.assert_allclose(fast_out, plain_out, rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(fast_grads, plain_grads):
        np.testing.assert_allclose(tf.convert_to_tensor(mine), tf.convert_to_tensor(theirs),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_stateful_fast_layers_carry_the_state(cell):
    """Windows fed one after another to the fast stateful network = the plain one on them all."""
    from nextword.network.model import reset_states

    fast, plain = _pair(cell, 2, stateful_batch=2)
    ids = np.random.default_rng(1).integers(1, 30, (2, 12)).astype("int32")
    reset_states(fast)
    reset_states(plain)
    parts = [np.asarray(fast(ids[:, i:i + 4])) for i in range(0, 12, 4)]
    whole = [np.asarray(plain(ids[:, i:i + 4])) for i in range(0, 12, 4)]
    np.testing.assert_allclose(np.concatenate(parts, 1), np.concatenate(whole, 1), rtol=1e-5,
                               atol=1e-6)


def test_dropout_inside_the_cell_falls_back_to_keras():
    from keras import ops

    from nextword.network.fastrnn import FastGRU

    layer = FastGRU(4, dropout=0.5, return_sequences=True)
    x = np.ones((2, 3, 5), "float32")
    assert ops.shape(layer(x, training=True)) == (2, 3, 4)


@pytest.mark.parametrize("stateful_batch", [None, 2], ids=["windows", "stateful"])
def test_weights_files_are_interchangeable_with_keras_layers(tmp_path, stateful_batch):
    """A backup written while training with either kind of layer trains on with the other."""
    fast, plain = _pair("gru", 2, stateful_batch=stateful_batch)
    plain.set_weights([w + 1.0 for w in fast.get_weights()])
    path = str(tmp_path / "backup.weights.h5")
    plain.save_weights(path)
    fast.load_weights(path)
    for mine, theirs in zip(fast.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("stateful", [False, True], ids=["windows", "stateful"])
def test_training_in_bfloat16_uses_the_fast_layers(stateful):
    from nextword import Config
    from nextword.network.fastrnn import FastGRU
    from nextword.training.trainer import build_trainer

    config = Config(units=8, embedding_dim=6, layers=2, batch_size=2, sequence_length=5,
                    stateful=stateful, sampled_softmax=8)
    ids = np.random.default_rng(2).integers(1, 30, (2, 6)).astype("int32")
    for dtype, expected in (("mixed_bfloat16", True), ("float32", False)):
        core, trainer = build_trainer(config, 30, sampled=True, dtype=dtype)
        recurrent = [layer for layer in core.layers if layer.name.startswith("rnn_")]
        assert len(recurrent) == 2
        assert all(isinstance(layer, FastGRU) == expected for layer in recurrent)
        logs = trainer.train_on_batch(ids[:, :-1], ids[:, 1:], return_dict=True)
        assert np.isfinite(float(np.ravel(logs["loss"])[0]))
