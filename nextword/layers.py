"""nextword's one custom Keras layer: an embedding whose matrix is also the output layer.

Weight tying (Inan et al. 2016, Press & Wolf 2017) uses one matrix to embed input words and to
score output words: fewer parameters and better perplexity. Keras has no built-in layer for it,
so this is registered for safe-mode loading; `import nextword` before `keras.saving.load_model`.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="nextword")
class TiedEmbedding(keras.layers.Embedding):
    """Embedding that, called with reverse=True, maps hidden vectors to vocabulary logits."""

    def __init__(self, input_dim, output_dim, use_output_bias=True, **kwargs):
        super().__init__(input_dim, output_dim, **kwargs)
        self.use_output_bias = use_output_bias

    def build(self, input_shape=None):
        super().build(input_shape)
        if self.use_output_bias:
            self.output_bias = self.add_weight(name="output_bias", shape=(self.input_dim,),
                                               initializer="zeros")

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ops.cast(ops.transpose(self.embeddings), self.compute_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.use_output_bias:
            logits = logits + ops.cast(self.output_bias, self.compute_dtype)
        return logits

    # Embedding's own (de)serialisation knows only its quantisation variables: list ours.
    def save_own_variables(self, store):
        for i, variable in enumerate(self._own_variables()):
            store[str(i)] = variable

    def load_own_variables(self, store):
        variables = self._own_variables()
        if len(store.keys()) != len(variables):
            raise ValueError(f"layer {self.name!r} expects {len(variables)} variables, "
                             f"the file holds {len(store.keys())}")
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def _own_variables(self):
        return [self.embeddings] + ([self.output_bias] if self.use_output_bias else [])

    def compute_output_spec(self, inputs, reverse=False):
        if not reverse:
            return super().compute_output_spec(inputs)
        shape = self.compute_output_shape(inputs.shape, reverse=True)
        return keras.KerasTensor(shape, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["use_output_bias"] = self.use_output_bias
        return config
