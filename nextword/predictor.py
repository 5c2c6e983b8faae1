"""Loading a model file and predicting: next-word lists, stepped state, generated text.

A Predictor rebuilds tokenisation from the Config saved in the file. `advance` runs a prefix
through the network and returns the last logits with the recurrent state, `step` feeds one token
per row and carries the state, so generating costs the same per word however long the text
grows; both run in numpy from the model's weights (stepper.py). `score` runs long batches in a
compiled TensorFlow function, for evaluation.

When the file holds an n-gram model (an NGramMixture layer), every one of these returns the
log of the mixed distribution instead of the network's logits (softmax of either gives the
probabilities), and the state carries the last few ids as the n-gram's history.
"""

from __future__ import annotations

import numpy as np

from . import sampling, storage
from .config import Config
from .errors import NextwordError
from .ngram import NGramTable, mix, histories as ngram_histories
from .stepper import NumpyStepper
from .text import detokenize, tokenize
from .vocab import EOL, EOL_ID, PAD_ID, UNK_ID, Vocabulary


class Predictor:
    """A loaded nextword model: predict(prefix), generate(prefix), and the stepping functions.

    Attributes:
        model: the Keras model in the file (token strings -> next-token probabilities).
        vocabulary: the Vocabulary, ids in model order.
        config: the training Config saved with the model.
        training: what training reported (validation perplexity, accuracy, time, ...).
    """

    def __init__(self, model, meta: dict, ngram: bool = True):
        import keras
        import tensorflow as tf

        from .model import (CORE_NAME, EMBEDDING_NAME, NGRAM_NAME, OUTPUT_NAME, VOCAB_NAME,
                            rnn_name)

        self.model = model
        self.meta = meta
        self.config = Config.from_dict(meta.get("config", {}))
        self.training = meta.get("training", {})
        try:
            self.vocabulary = Vocabulary(model.get_layer(VOCAB_NAME).get_vocabulary())
            core = model.get_layer(CORE_NAME)
            self._embedding = core.get_layer(EMBEDDING_NAME)
            self._rnns = [core.get_layer(rnn_name(i)) for i in range(self.config.layers)]
        except ValueError as error:
            raise NextwordError(f"the model file does not have nextword's layers ({error})") from None
        self.core = core
        names = {layer.name for layer in core.layers}
        self._projection = core.get_layer("projection") if "projection" in names else None
        self._output = None if self.config.tie_weights else core.get_layer(OUTPUT_NAME)
        self._runners = [keras.layers.RNN(layer.cell, return_sequences=True, return_state=True)
                         for layer in self._rnns]
        self._state_sizes = [len(tf.nest.flatten(layer.cell.state_size)) for layer in self._rnns]
        self._score = tf.function(self._score_graph, reduce_retracing=True)
        self._stepper = NumpyStepper(self._embedding, [layer.cell for layer in self._rnns],
                                     self._projection, self._output,
                                     tied=self._output is None)
        self.banned = [PAD_ID, UNK_ID]
        self.ngram, self.mixture = None, None
        if ngram and NGRAM_NAME in {layer.name for layer in model.layers}:
            mixer = model.get_layer(NGRAM_NAME)
            self.ngram = NGramTable.from_arrays(
                mixer.vocab_size, [v.numpy() for v in mixer.table_variables()])
            self.mixture = mixer.mixture.numpy()

    @classmethod
    def load(cls, path: str, ngram: bool = True) -> "Predictor":
        """Load a .keras file written by nextword (safe mode; no code from the file runs).

        ngram=False ignores the file's n-gram model: the network alone predicts.
        """
        from ._tf import quiet_tensorflow

        storage.read_meta(path)  # fail fast, before TensorFlow is imported, on a foreign file
        quiet_tensorflow()
        model, meta = storage.load(path)
        return cls(model, meta, ngram=ngram)

    # ----- the network, stepped -------------------------------------------------------------
    def _logits(self, hidden):
        if self._projection is not None:
            hidden = self._projection(hidden)
        if self._output is None:
            return self._embedding(hidden, reverse=True)
        return self._output(hidden)

    def _run(self, token_ids, state):
        x = self._embedding(token_ids)
        new_state, offset = [], 0
        for runner, size in zip(self._runners, self._state_sizes):
            outputs = runner(x, initial_state=list(state[offset:offset + size]))
            x = outputs[0]
            new_state += list(outputs[1:])
            offset += size
        return x, tuple(new_state)

    def _score_graph(self, token_ids, state):
        hidden, state = self._run(token_ids, state)
        return self._logits(hidden), state

    def initial_state(self, batch: int = 1) -> tuple:
        """Zero recurrent state for `batch` rows: a flat tuple of (batch, units) arrays.

        With an n-gram model the last part is the (batch, order - 1) history of ids, -1 where
        there is none yet.
        """
        state = self._stepper.initial_state(batch)
        if self.ngram is not None:
            state += (np.full((batch, self.ngram.order - 1), -1, dtype=np.int64),)
        return state

    def advance(self, token_ids: np.ndarray, state=None):
        """Run (batch, time) token ids from `state`; returns (last logits (batch, vocab), state)."""
        token_ids = np.asarray(token_ids, dtype=np.int32)
        if state is None:
            state = self.initial_state(len(token_ids))
        if self.ngram is None:
            return self._stepper.advance(token_ids, state)
        logits, network_state = self._stepper.advance(token_ids, state[:-1])
        history = np.concatenate([state[-1], token_ids], axis=1)[:, -(self.ngram.order - 1):]
        return self._mix(logits, history), network_state + (history,)

    def score(self, token_ids: np.ndarray, state):
        """Logits at every position of (batch, time) ids, and the state after the last."""
        token_ids = np.asarray(token_ids, dtype=np.int32)
        if self.ngram is None:
            logits, state = self._score(token_ids, state)
            return logits.numpy(), state
        logits, network_state = self._score(token_ids, state[:-1])
        logits = logits.numpy()
        batch, time = token_ids.shape
        keep = self.ngram.order - 1
        ids = np.concatenate([state[-1], token_ids], axis=1)
        histories = ngram_histories(ids, keep, time, keep)
        logits = logits.reshape(batch * time, -1)
        for begin in range(0, len(logits), 1024):  # bounded memory: a few (1024, vocab) arrays
            logits[begin:begin + 1024] = self._mix(logits[begin:begin + 1024],
                                                   histories[begin:begin + 1024])
        return logits.reshape(batch, time, -1), tuple(network_state) + (ids[:, -keep:],)

    def step(self, token_ids: np.ndarray, state):
        """Feed one token per row; returns (logits (batch, vocab), new state)."""
        token_ids = np.asarray(token_ids, dtype=np.int32)
        if self.ngram is None:
            return self._stepper.step(token_ids, state)
        return self.advance(token_ids[:, None], state)

    def _mix(self, logits: np.ndarray, history: np.ndarray) -> np.ndarray:
        """Log of the network and n-gram mixture, rows of logits and (rows, order-1) histories."""
        network = sampling.softmax(logits)
        lengths = (history >= 0).sum(axis=1)
        ngram, buckets = self.ngram.distributions(np.maximum(history, 0), lengths)
        mixed = mix(network, ngram, buckets, self.mixture)
        return np.log(np.maximum(mixed, 1e-30))

    @staticmethod
    def select_state(state, rows):
        """The state of the given rows (beam search reorders hypotheses)."""
        return tuple(part[rows] for part in state)

    # ----- text in, words out ---------------------------------------------------------------
    def encode(self, prefix: str) -> list[int]:
        """Token ids of a prefix, after a start-of-line token (an empty prefix starts a line).

        Raises NextwordError when the prefix has words but none is in the vocabulary.
        """
        tokens = tokenize(prefix, self.config.lowercase)
        ids = self.vocabulary.encode(tokens)
        if ids and all(i == UNK_ID for i in ids):
            raise NextwordError(f"none of the words in {prefix[:60]!r} are in the model's "
                                "vocabulary; try other words or train on text that has them")
        return [EOL_ID] + ids

    def distribution(self, prefix: str) -> np.ndarray:
        """The model's probability for every vocabulary id as the token after prefix."""
        logits, _ = self.advance(np.array([self.encode(prefix)]))
        return sampling.softmax(logits[0].astype(np.float64))

    def predict(self, prefix: str, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely next words with their probabilities, most likely first.

        Padding, unknown and end-of-line tokens are never suggested; k larger than the
        vocabulary returns every word.
        """
        if k < 1:
            raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
        probabilities = self.distribution(prefix)
        probabilities[[PAD_ID, UNK_ID, EOL_ID]] = -1.0
        count = min(k, len(probabilities) - 3)
        best = np.argsort(-probabilities, kind="stable")[:count]
        return [(self.vocabulary.tokens[i], float(probabilities[i])) for i in best]

    def generate(self, prefix: str = "", words: int = 20, strategy: str = "top-p",
                 temperature: float = 1.0, top_k: int = 40, top_p: float = 0.9,
                 beams: int = 4, repetition_penalty: float = 1.0, no_repeat_ngram: int = 0,
                 stop_at_eol: bool = False, seed: int | None = None) -> str:
        """A continuation of prefix, as text (punctuation attached, end-of-line as a newline)."""
        return detokenize(self.generate_tokens(
            prefix, words, strategy, temperature, top_k, top_p, beams, repetition_penalty,
            no_repeat_ngram, stop_at_eol, seed), eol=EOL)

    def generate_tokens(self, prefix="", words=20, strategy="top-p", temperature=1.0, top_k=40,
                        top_p=0.9, beams=4, repetition_penalty=1.0, no_repeat_ngram=0,
                        stop_at_eol=False, seed=None) -> list[str]:
        """Like generate, but returns the generated tokens."""
        if words < 1:
            raise NextwordError(f"--words must be at least 1, got {words}")
        if repetition_penalty <= 0:
            raise NextwordError(f"--repetition-penalty must be above 0, got {repetition_penalty}")
        sampling.check_temperature(temperature)
        history = self.encode(prefix)
        logits, state = self.advance(np.array([history]))
        stop = EOL_ID if stop_at_eol else None
        if strategy == "beam":
            chosen = sampling.beam_search(self.step, state, logits[0], history, words, beams,
                                          self.banned, stop, repetition_penalty,
                                          no_repeat_ngram, self.select_state)
        else:
            sampler = sampling.make_sampler(strategy, top_k, top_p)
            rng = np.random.default_rng(seed)
            chosen = sampling.generate(self.step, state, logits[0], history, words, sampler,
                                       rng, self.banned, stop, temperature, repetition_penalty,
                                       no_repeat_ngram)
        return self.vocabulary.decode(chosen)
