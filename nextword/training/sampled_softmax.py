"""Training with a sampled softmax: score the true word against a few thousand sampled ones.

The full softmax over the vocabulary costs most of a training step on a CPU (measured: 433 of
~660 ms for 4,096 targets over 8,261 words). Sampled softmax (Jean et al. 2015) scores each
target against `num_sampled` words drawn from a log-uniform (Zipfian) distribution, which
suits ids sorted by frequency, with the usual correction for the sampling probabilities.
Validation and everything after training use the full softmax.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ..network.model import HIDDEN_NAME, output_weights


class SampledSoftmaxTrainer(keras.Model):
    """Wraps a language model for fit(): sampled-softmax training steps, full-softmax tests.

    With num_sampled=0 the training steps use the full softmax too. `vector_logs` returns each
    log as a 1-element vector: Keras 3.15 averages step logs across workers along axis 0 under
    MultiWorkerMirroredStrategy, which fails on scalars (tensorflow/tensorflow#72388).
    """

    def __init__(self, core: keras.Model, num_sampled: int, vector_logs: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.core = core
        self.hidden = keras.Model(core.inputs, core.get_layer(HIDDEN_NAME).output)
        self.vocab_size = core.output_shape[-1]
        self.num_sampled = min(num_sampled, self.vocab_size - 1)
        self.vector_logs = vector_logs
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def call(self, inputs, training=False):
        return self.core(inputs, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def train_step(self, data):
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(data)  # fit and train_on_batch
        with tf.GradientTape() as tape:
            if self.num_sampled:
                hidden = tf.cast(self.hidden(inputs, training=True), tf.float32)
                weights, biases = output_weights(self.core)
                flat = tf.reshape(hidden, (-1, hidden.shape[-1]))
                losses = tf.nn.sampled_softmax_loss(
                    weights=tf.cast(weights, tf.float32), biases=tf.cast(biases, tf.float32),
                    labels=tf.reshape(tf.cast(labels, tf.int64), (-1, 1)), inputs=flat,
                    num_sampled=self.num_sampled, num_classes=self.vocab_size)
            else:
                losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels, self.core(inputs, training=True))
            loss = tf.reduce_mean(losses)
            # Replicas' gradients are summed: scale so that they average (tf.distribute).
            scaled = loss / tf.distribute.get_strategy().num_replicas_in_sync
        variables = self.trainable_variables
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))
        self.loss_tracker.update_state(loss)
        return self._logs({"loss": self.loss_tracker.result()})

    def _logs(self, logs):
        return {k: tf.reshape(v, (1,)) for k, v in logs.items()} if self.vector_logs else logs

    def test_step(self, data):
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(data)  # fit and train_on_batch
        logits = self.core(inputs, training=False)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
        self.loss_tracker.update_state(losses)
        self.accuracy_tracker.update_state(labels, logits)
        return self._logs({"loss": self.loss_tracker.result(),
                           "accuracy": self.accuracy_tracker.result()})
