"""Building the network: Embedding -> recurrent layers -> softmax over the vocabulary.

`build_model` makes the id-to-logits network that trains; `build_predictor_model` wraps it with
the vocabulary (a StringLookup layer) and a softmax, which is what the .keras file holds: token
strings in, next-token probabilities out, loadable with keras.saving.load_model.
"""

from __future__ import annotations

import functools

import keras
from keras import layers

from ..config import Config
from ..text.vocab import EOL, PAD, SPECIALS, UNK, Vocabulary
from .fastrnn import FAST_LAYERS
from .layers import NGramMixture, TiedEmbedding
from .names import (  # noqa: F401
    CORE_NAME,
    EMBEDDING_NAME,
    HIDDEN_NAME,
    NGRAM_NAME,
    OUTPUT_NAME,
    PROJECTION_NAME,
    VOCAB_NAME,
    rnn_name,
)

CELL_LAYERS = {"simplernn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


@functools.cache
def _replica_state(base):
    """`base` whose stateful state lives on each replica apart (stateful training under a
    tf.distribute strategy: every replica carries the state of its own streams, the rows of
    the global batch it is dealt). Keras's own stateful layer makes a mirrored variable, which
    one value must fit on every replica. Used for training only: the saved network is built
    from the plain layers with the same weights."""
    from keras.src import backend, tree
    from keras.src.utils import tracking

    class ReplicaState(base):
        @tracking.no_automatic_dependency_tracking
        def _create_state_variables(self, batch_size):
            with backend.name_scope(self.name, caller=self):
                self.states = tree.map_structure(
                    lambda value: backend.Variable(
                        value, trainable=False, dtype=self.variable_dtype, name="rnn_state",
                        synchronization="on_read", aggregation="only_first_replica"),
                    self.get_initial_state(batch_size))

    ReplicaState.__name__ = f"ReplicaState{base.__name__}"
    return ReplicaState


def build_model(config: Config, vocab_size: int, dtype: str | None = None,
                stateful_batch: int | None = None, fast: bool = False) -> keras.Model:
    """The trainable network: int token ids (batch, time) -> logits (batch, time, vocab).

    With tie_weights the last recurrent layer is projected to the embedding size (when the sizes
    differ) and the embedding matrix scores the output words. `dtype` is a Keras dtype policy
    for every layer ("mixed_bfloat16" to train in bf16); the logits are always float32.
    stateful_batch: a fixed batch size (per replica) whose rows carry their recurrent state
    from one call to the next (stateful training); the weights are the same as without, in the
    same order. fast: the recurrent layers of fastrnn.py, for training only (the same weights
    and function, faster on a CPU; the saved network is built without it).
    """
    stateful = stateful_batch is not None
    token_ids = keras.Input(batch_shape=(stateful_batch, None), dtype="int32", name="token_ids")
    if config.tie_weights:
        embedding = TiedEmbedding(vocab_size, config.embedding_dim, name=EMBEDDING_NAME,
                                  dtype=dtype)
    else:
        embedding = layers.Embedding(vocab_size, config.embedding_dim, name=EMBEDDING_NAME,
                                     dtype=dtype)
    x = embedding(token_ids)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="embedding_dropout", dtype=dtype)(x)
    cell = (FAST_LAYERS if fast else CELL_LAYERS)[config.cell]
    if stateful:
        cell = _replica_state(cell)
    for index in range(config.layers):
        x = cell(config.units, return_sequences=True, stateful=stateful, name=rnn_name(index),
                 dtype=dtype)(x)
        if config.dropout:
            x = layers.Dropout(config.dropout, name=f"dropout_{index}", dtype=dtype)(x)
    if config.tie_weights and config.units != config.embedding_dim:
        x = layers.Dense(config.embedding_dim, name=PROJECTION_NAME, dtype=dtype)(x)
    x = layers.Identity(name=HIDDEN_NAME, dtype=dtype)(x)
    if config.tie_weights:
        logits = embedding(x, reverse=True)
    else:
        logits = layers.Dense(vocab_size, name=OUTPUT_NAME, dtype=dtype)(x)
    logits = layers.Activation("linear", dtype="float32", name="float32_logits")(logits)
    return keras.Model(token_ids, logits, name=CORE_NAME)


def reset_states(core: keras.Model) -> None:
    """Zero the carried state of a stateful network's recurrent layers."""
    for layer in core.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


def output_weights(core: keras.Model):
    """The output layer's (weights (vocab, dim), biases (vocab,)) as tensors, tied or not."""
    if isinstance(core.get_layer(EMBEDDING_NAME), TiedEmbedding):
        embedding = core.get_layer(EMBEDDING_NAME)
        return embedding.embeddings, embedding.output_bias
    dense = core.get_layer(OUTPUT_NAME)
    return keras.ops.transpose(dense.kernel), dense.bias


def set_output_prior(core: keras.Model, counts) -> None:
    """Start the output layer's biases at the log of each word's frequency (add-one).

    A fresh network then predicts the unigram distribution from its first step, and its
    gradients go to what the context adds rather than to learning word frequencies. Measured
    on KJV with a plain Keras 2x256 GRU and the full softmax: from zero biases the training
    loss sat at the unigram's (5.8-6.0) for 1,300 steps; from the log frequencies it was 4.9
    after 100 and 4.4 after 200 (docs/experiments/full-softmax.md, 2026-12-01).
    """
    import numpy as np

    counts = np.asarray(counts, dtype=np.float64) + 1.0
    _, biases = output_weights(core)
    biases.assign(np.log(counts / counts.sum()).astype(biases.dtype))


def build_predictor_model(core: keras.Model, vocabulary: Vocabulary, ngram=None,
                          mixture=None) -> keras.Model:
    """Token strings (batch, time) -> next-token probabilities (batch, time, vocab).

    The vocabulary lives in a built-in StringLookup layer inside the model file; unknown
    strings map to the unknown token. With an NGramTable (and its mixture weights) the
    network's probabilities are mixed with the n-gram model's in an NGramMixture layer;
    mixture: (buckets,) weights, or (buckets, 1 + factors) with log-linear exponents
    (loglinear.py).
    """
    import numpy as np

    from ..ngram.loglinear import lower_orders

    tokens = keras.Input(shape=(None,), dtype="string", name="tokens")
    lookup = layers.StringLookup(vocabulary=vocabulary.tokens[len(SPECIALS) - 1:],
                                 mask_token=PAD, oov_token=UNK, name=VOCAB_NAME)
    assert lookup.get_vocabulary()[:3] == [PAD, UNK, EOL]
    ids = lookup(tokens)
    probabilities = layers.Softmax(dtype="float32", name="probabilities")(core(ids))
    if ngram is not None:
        mixer = NGramMixture(len(vocabulary), [[len(o.keys), len(o.words)] for o in ngram.orders],
                             key_layout="chained", exponents=np.ndim(mixture) == 2,
                             lower_orders=lower_orders(mixture), name=NGRAM_NAME)
        probabilities = mixer([ids, probabilities])
        for variable, values in zip(mixer.table_variables(), ngram.arrays()):
            variable.assign(values)
        mixer.mixture.assign(mixture)
    return keras.Model(tokens, probabilities, name="nextword")


def transfer_weights(core: keras.Model, base_core: keras.Model) -> int:
    """Start core from base_core's weights: a network of the same shape whose vocabulary is
    base_core's with words added at the end (continuing training, `train --from`).

    Each layer takes the same-named base layer's weights; where a weight has a vocabulary
    axis, the base's rows stay as they are (ids are unchanged) and each new word's row is
    the mean of the base's rows, the padding row left out (it is never trained).
    Returns the number of words added.
    """
    import numpy as np

    from ..text.vocab import PAD_ID

    old = base_core.get_layer(EMBEDDING_NAME).input_dim
    new = core.get_layer(EMBEDDING_NAME).input_dim
    if new < old:
        raise ValueError(f"a vocabulary of {new} words cannot continue one of {old}")
    for layer in core.layers:
        if not layer.weights:
            continue
        values = []
        for weight, base in zip(layer.get_weights(),
                                base_core.get_layer(layer.name).get_weights()):
            if weight.shape == base.shape:
                values.append(base)
                continue
            # The vocabulary axis: embedding rows (vocab, dim), an untied output kernel's
            # columns (dim, vocab), an output bias (vocab,). New words start as the mean of
            # the old: for the bias too (rather than the unknown token's, which holds the
            # mass of every word outside the vocabulary): handing each of perhaps thousands
            # of new words that mass would take probability from every known word at the
            # first step, while an average word's bias starts them modest and lets training
            # raise the ones NEW uses.
            axis = next(a for a, (w, b) in enumerate(zip(weight.shape, base.shape)) if w != b)
            rows = np.moveaxis(base, axis, 0)
            mean = rows[PAD_ID + 1:].mean(axis=0, keepdims=True)
            grown = np.concatenate([rows, np.repeat(mean, new - old, axis=0)])
            values.append(np.moveaxis(grown, 0, axis).astype(weight.dtype))
        layer.set_weights(values)
    return new - old
