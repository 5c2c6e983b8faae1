"""nextword's two custom Keras layers, registered for safe-mode loading (`import nextword`
before `keras.saving.load_model`):

- TiedEmbedding, an embedding whose matrix is also the output layer. Weight tying (Inan et al.
  2016, Press & Wolf 2017) uses one matrix to embed input words and to score output words:
  fewer parameters and better perplexity. Keras has no built-in layer for it.
- NGramMixture, which mixes the network's probabilities with an n-gram model stored in it.
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


@keras.saving.register_keras_serializable(package="nextword")
class NGramMixture(keras.layers.Layer):
    """Mixes the network's next-token probabilities with an n-gram model held in the layer.

    Called on [token_ids (batch, time), probabilities (batch, time, vocab)], it returns the
    mixture at every position: w[b] * network + (1 - w[b]) * n-gram, where the bucket b says
    how long a context the n-gram model has seen there and how often, corrected by per-bucket
    exponents where the layer has them (loglinear.py; files since December 2026). The counts
    live in non-trainable variables, so the .keras file carries them and loads them in safe
    mode. The same arithmetic runs in numpy for prediction (ngram/kneser_ney.py, ngram/loglinear.py); tests hold
    the two equal.

    Args:
        vocab_size: ids are 0 .. vocab_size - 1.
        sizes: for each order n = 2, 3, ..., [contexts, entries] (the variables' shapes).
        count_buckets: count classes per order (see estimate.COUNT_BUCKETS).
        key_layout: how contexts are keyed: "chained" (ngram/kneser_ney.py: the row of the
            context one word shorter and the oldest id), or "packed" (every id in one
            number), which some files of model format 1 hold and whose config therefore
            lacks it.
        exponents: the mixture variable holds [w, a, c, d, u, l...] per bucket instead of w.
        lower_orders: the orders whose distributions the l exponents weigh (loglinear.py);
            format-1 files with exponents whose config lacks the list have one, order 3.
    """

    def __init__(self, vocab_size, sizes, count_buckets=6, key_layout="packed", exponents=False,
                 lower_orders=(3,), **kwargs):
        super().__init__(**kwargs)
        self.exponents = bool(exponents)
        self.lower_orders = [int(n) for n in lower_orders] if self.exponents else []
        self.vocab_size = int(vocab_size)
        self.sizes = [[int(contexts), int(entries)] for contexts, entries in sizes]
        self.count_buckets = int(count_buckets)
        if key_layout not in ("chained", "packed"):
            raise ValueError(f"unknown n-gram key layout {key_layout!r}")
        self.key_layout = key_layout

    def build(self, input_shape=None):
        def weight(name, shape, dtype):
            return self.add_weight(name=name, shape=shape, dtype=dtype, initializer="zeros",
                                   trainable=False)

        self.unigram = weight("unigram", (self.vocab_size,), "float32")
        self.tables = []
        for n, (contexts, entries) in enumerate(self.sizes, start=2):
            self.tables.append([weight(f"keys_{n}", (contexts,), "int64"),
                                weight(f"starts_{n}", (contexts + 1,), "int32"),
                                weight(f"classes_{n}", (contexts,), "int8"),
                                weight(f"gammas_{n}", (contexts,), "float32"),
                                weight(f"words_{n}", (entries,), "int32"),
                                weight(f"alphas_{n}", (entries,), "float32")])
        buckets = 1 + len(self.sizes) * self.count_buckets
        self.mixture = weight("mixture", (buckets, 5 + len(self.lower_orders))
                              if self.exponents else (buckets,), "float32")

    def table_variables(self):
        """unigram, then keys, starts, classes, gammas, words, alphas of each order."""
        return [self.unigram] + [v for table in self.tables for v in table]

    def call(self, inputs):
        import tensorflow as tf

        token_ids, probabilities = inputs
        ids = tf.cast(token_ids, tf.int64)
        batch, time = tf.shape(ids)[0], tf.shape(ids)[1]
        rows = batch * time
        network = tf.reshape(tf.cast(probabilities, tf.float32), (rows, self.vocab_size))
        ngram = tf.tile(tf.convert_to_tensor(self.unigram)[None], tf.stack([rows, 1]))
        buckets = tf.zeros((rows,), tf.int32)
        keys = tf.zeros_like(ids)
        flat = where = found = None
        lowers = {}  # order -> the distribution once the orders up to it are applied
        for index, (table, (contexts, _)) in enumerate(zip(self.tables, self.sizes)):
            for order in self.lower_orders:
                if index == order - 1:  # orders up to `order` applied: loglinear's l
                    lowers[order] = ngram
            shift = index  # order n = index + 2 adds the id n - 2 places back
            shifted = tf.pad(ids, [[0, 0], [shift, 0]])[:, :time]
            if self.key_layout == "packed":
                keys = keys + shifted * (self.vocab_size ** shift)
                flat = tf.reshape(keys, (-1,))
            else:  # the row of the context one shorter (where it was found), the older id
                flat = tf.reshape(shifted, (-1,)) if index == 0 \
                    else where * self.vocab_size + tf.reshape(shifted, (-1,))
            if contexts == 0:
                if self.key_layout == "chained":
                    break  # no context of this order: none longer either
                continue
            table_keys, starts, classes, gammas, words, alphas = (
                tf.convert_to_tensor(v) for v in table)
            usable = tf.reshape(tf.broadcast_to(tf.range(time)[None] >= shift, (batch, time)),
                                (-1,))
            if self.key_layout == "chained" and found is not None:
                usable = usable & found
            where = tf.searchsorted(table_keys[None], flat[None], out_type=tf.int64)[0]
            where = tf.minimum(where, contexts - 1)
            found = usable & tf.equal(tf.gather(table_keys, where), flat)
            ngram = ngram * tf.where(found, tf.gather(gammas, where), 1.0)[:, None]
            begin = tf.gather(starts, where)
            size = tf.where(found, tf.gather(starts, where + 1) - begin, 0)
            entries = tf.ragged.range(begin, begin + size)
            entry = entries.flat_values
            indices = tf.stack([entries.value_rowids(), tf.cast(tf.gather(words, entry),
                                                                tf.int64)], axis=1)
            ngram = tf.tensor_scatter_nd_add(ngram, indices, tf.gather(alphas, entry))
            buckets = tf.where(found, 1 + index * self.count_buckets
                               + tf.cast(tf.gather(classes, where), tf.int32), buckets)
        mixture = tf.gather(tf.convert_to_tensor(self.mixture), buckets)
        weight = mixture[:, :1] if self.exponents else mixture[:, None]
        mixed = weight * network + (1.0 - weight) * ngram
        if self.exponents:  # loglinear.apply
            def log(x):
                return tf.math.log(tf.maximum(x, 1e-30))

            unigram = tf.convert_to_tensor(self.unigram)  # loglinear.unigram_logs
            rarest = tf.reduce_min(tf.where(unigram > 0, unigram, 1.0))
            unigram = tf.math.log(tf.maximum(unigram, rarest))[None]
            scores = (mixture[:, 1:2] * log(network) + mixture[:, 2:3] * log(ngram)
                      + mixture[:, 3:4] * log(mixed) + mixture[:, 4:5] * unigram)
            for k, order in enumerate(self.lower_orders, start=5):
                # An order the table does not reach (or whose contexts end early): the whole.
                scores += mixture[:, k:k + 1] * log(lowers.get(order, ngram))
            mixed = tf.nn.softmax(scores, axis=-1)
        return tf.reshape(mixed, tf.shape(probabilities))

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs[1].shape, dtype="float32")

    def get_config(self):
        config = super().get_config()
        config.update(vocab_size=self.vocab_size, sizes=self.sizes,
                      count_buckets=self.count_buckets, key_layout=self.key_layout,
                      exponents=self.exponents, lower_orders=self.lower_orders)
        return config
