"""A loaded model, in numpy: next-word lists, completions, stepped state, generated text.

`Predictor.load` reads the .keras file without TensorFlow (archive.py) and rebuilds
tokenisation from the Config saved in it. `advance` runs a prefix through the network and
returns the last logits with the recurrent state, `step` feeds one token per row and carries
the state, so generating costs the same per word however long the text grows; `score` runs long
batches for evaluation. All of it is numpy (stepper.py); the Keras model in the file is loaded
only if `predictor.model` is asked for.

When the file holds an n-gram model, these return the log of the mixed distribution instead
of the network's logits (softmax of either gives the probabilities), and the state carries the
last few ids as the n-gram's history. One row at a time (predicting, generating) the n-gram
part is mixed sparsely: the seen continuations and the back-off weight of the unigram vector.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from ..ngram.kneser_ney import NGramTable
from ..ngram.mixture import histories as ngram_histories
from ..results import CONTINUED_FROM, TrainingResult, describe_base
from ..text.casing import SurfaceForms
from ..text.tokenize import detokenize, surface_tokens, tokenize
from ..text.vocab import EOL, EOL_ID, PAD_ID, SPECIALS, UNK_ID, Vocabulary
from . import (archive, completion, generation, learning, phrases, sampling, sharing,
               suggestions)
from .cache import ContextCache
from .completion import PrefixIndex
from .correction import Speller
from .generation import GenerationConfig
from .recent import RecentWords
from .stepper import NumpyStepper
from .userlayer import UserLayer

SPARSE_ROWS = 16  # up to this many rows (a prediction, a beam) mix the n-gram model sparsely
SCORE_ROWS = 1024  # rows mixed densely at a time when scoring: bounds memory
CACHE_SIZE = 256  # contexts kept by default (about 8 MB for a 8,000-word vocabulary)
RECENT_WEIGHT = 0.1  # the short-range cache's weight in suggestions (recent.py: measured)


class Predictor:
    """A loaded nextword model: predict, complete, generate, and the stepping functions.

    Attributes:
        vocabulary: the Vocabulary, ids in model order.
        config: the training Config saved with the model.
        training: what training reported (validation perplexity, accuracy, time, ...).
        meta: the file's nextword.json.
        ngram, mixture: the n-gram model and the network's weight per bucket (None without).
        model: the Keras model in the file, loaded (with TensorFlow) on first access.
    """

    def __init__(self, arrays: archive.ModelArrays, ngram: bool = True,
                 cache_size: int = CACHE_SIZE, recent_weight: float = RECENT_WEIGHT):
        self.path = arrays.path
        self.meta = arrays.meta
        self.config = arrays.config
        self.training = self.meta.get("training", {})
        self.base_size = len(arrays.vocabulary)
        self.user = UserLayer.from_bytes(arrays.user, self.base_size) if arrays.user else None
        self.vocabulary = Vocabulary(arrays.vocabulary + (self.user.words if self.user else []),
                                     spell=self.config.spells)
        self.network = arrays.network
        self.stepper = NumpyStepper(arrays.network)
        self.blocked, self.blocked_outside = sharing.split_blocked(self.meta, self.vocabulary)
        self.ngram, self.mixture = None, None
        if ngram and arrays.ngram_arrays is not None:
            self.ngram = NGramTable.from_arrays(self.base_size, arrays.ngram_arrays)
            self.mixture = np.asarray(arrays.mixture, dtype=np.float32)
        self._model = None
        self._prefixes = self._speller = self._forms = self._punctuation = None
        self._speller_before = None  # the speller a learned line replaced (extended from)
        self.base_forms = SurfaceForms.from_bytes(arrays.forms)
        # The least probability of a phrase offered by suggest(..., phrases=True): the one
        # training calibrated on the model's held-out text, if it could (phrases.calibrate).
        self.phrase_threshold = self.training.get("phrase_threshold") \
            or phrases.DEFAULT_THRESHOLD
        self._cache = ContextCache(cache_size)
        # One change (learning, blocking, saving, taking in another process's) at a time;
        # re-entrant: saving may replay changes, which learns.
        self.changing = threading.RLock()
        self.changes = sharing.Changes()  # since the file was last read or written
        self.synced = arrays.identity  # the version of the file those changes apply to
        self.recent = RecentWords(recent_weight)  # the short-range cache (recent.py)

    @classmethod
    def load(cls, path: str, ngram: bool = True, cache_size: int = CACHE_SIZE,
             recent_weight: float = RECENT_WEIGHT) -> "Predictor":
        """Read a .keras file written by nextword; nothing from the file is executed.

        ngram=False ignores the file's n-gram model: the network alone predicts.
        cache_size: contexts whose state and distribution are kept (0: none), see ContextCache.
        recent_weight: the short-range cache's weight in suggestions (0: off), see recent.py.
        """
        return cls(archive.read(path), ngram=ngram, cache_size=cache_size,
                   recent_weight=recent_weight)

    @property
    def model(self):
        """The Keras model in the file (token strings -> next-token probabilities).

        Loaded on first access, in Keras's safe mode; this imports TensorFlow.
        """
        if self._model is None:
            from ..network import loading

            self._model, _ = loading.load(self.path)
        return self._model

    @property
    def training_result(self) -> TrainingResult:
        """What training reported (fields a file does not hold are None)."""
        return TrainingResult.from_dict(self.training)

    def describe(self, names_only: bool = False) -> dict:
        """What the model is and how it was trained: `nextword info`, the server's /v1/model.

        names_only: files by their names, without the folders they are in (what a server
        tells its clients: nothing about the machine).
        """
        config, result, learned = self.config, self.training_result, self.learned
        versions = self.meta.get("versions", {})
        shown = os.path.basename if names_only else str
        return {
            "model": shown(self.path),
            "cell": config.cell, "layers": config.layers, "units": config.units,
            "embedding dim": config.embedding_dim, "tied weights": config.tie_weights,
            "parameters": self.parameters,
            "vocabulary size": len(self.vocabulary),
            "sequence length": config.sequence_length,
            "corpus files": ", ".join(map(shown, config.corpus)),
            "corpus tokens": result.corpus_tokens,
            "epochs": result.epochs,
            "training seconds": result.training_seconds,
            "validation perplexity": result.validation_perplexity,
            "validation accuracy": result.validation_accuracy,
            "n-gram order": self.ngram.order if self.ngram is not None else 0,
            "n-gram entries": self.ngram.entries if self.ngram is not None else 0,
            # calibrated on the held-out text (the share exact there), or the default
            "phrase threshold": self.phrase_threshold,
            "phrases exact on held-out text": result.phrase_precision,
            "nextword version": versions.get("nextword"),
            "keras version": versions.get("keras"),
            "blocked words": len(self.blocked) + len(self.blocked_outside),
            "learned lines": learned["lines"],
            "learned tokens": learned["tokens"],
            "learned new words": learned["new words"],
            # `train --from`: the base's path and how it was trained (only when continued)
            **({"continued from": describe_base(self.meta, names_only)}
               if CONTINUED_FROM in self.meta else {}),
        }

    @property
    def parameters(self) -> int:
        """The network's trainable parameters (the n-gram tables are not counted)."""
        return self.network.parameters

    # ----- the network, stepped -------------------------------------------------------------
    @property
    def history_size(self) -> int:
        """Ids of history the n-gram models need (the longer of the base's and the user's)."""
        orders = [model.order for model in (self.ngram, self.user) if model is not None]
        return max(orders, default=1) - 1

    def initial_state(self, batch: int = 1) -> tuple:
        """Zero recurrent state for `batch` rows: a flat tuple of (batch, units) arrays.

        With an n-gram model (or learned text) the last part is the (batch, order - 1) history
        of ids, -1 where there is none yet.
        """
        state = self.stepper.initial_state(batch)
        if self.history_size:
            state += (np.full((batch, self.history_size), -1, dtype=np.int64),)
        return state

    def base_ids(self, ids: np.ndarray) -> np.ndarray:
        """Learned words are the unknown token to the network and the base n-gram model."""
        return np.where(ids >= self.base_size, UNK_ID, ids).astype(ids.dtype)

    def _next(self, token_ids: np.ndarray, state):
        """Feed (batch, time) ids; returns (next-id probabilities (batch, vocab), state)."""
        token_ids = np.asarray(token_ids, dtype=np.int32)
        if state is None:
            state = self.initial_state(len(token_ids))
        keep = self.history_size
        if not keep:
            logits, state = self.stepper.advance(token_ids, state)
            return sampling.softmax(logits), state
        logits, network_state = self.stepper.advance(self.base_ids(token_ids), state[:-1])
        history = np.concatenate([state[-1], token_ids], axis=1)[:, -keep:]
        return self._mixed(sampling.softmax(logits), history), network_state + (history,)

    def _mixed(self, network: np.ndarray, history: np.ndarray) -> np.ndarray:
        """The model's distribution from the network's and the history: the base n-gram
        mixed in, then the user layer. Up to SPARSE_ROWS rows (predicting, completing,
        generating, a beam) the n-grams are mixed sparsely."""
        sparse = len(network) <= SPARSE_ROWS
        mixed = network
        if self.ngram is not None:
            mixed = self.ngram.mix_rows(network, self.base_ids(history), self.mixture, sparse)
        if self.user is not None:
            mixed = self.user.mix(mixed, history, sparse)
        return mixed

    def advance(self, token_ids: np.ndarray, state=None):
        """Run (batch, time) token ids from `state`; returns (last logits (batch, vocab), state)."""
        if not self.history_size:
            token_ids = np.asarray(token_ids, dtype=np.int32)
            return self.stepper.advance(token_ids, state if state is not None
                                         else self.initial_state(len(token_ids)))
        probabilities, state = self._next(token_ids, state)
        return _log(probabilities), state

    def step(self, token_ids: np.ndarray, state):
        """Feed one token per row; returns (logits (batch, vocab), new state)."""
        return self.advance(np.asarray(token_ids, dtype=np.int32)[:, None], state)

    def score(self, token_ids: np.ndarray, state):
        """Logits at every position of (batch, time) ids, and the state after the last."""
        token_ids = np.asarray(token_ids, dtype=np.int32)
        keep = self.history_size
        network_state = state[:-1] if keep else state
        outputs, network_state = self.stepper.run(self.base_ids(token_ids), network_state)
        logits = self.stepper.logits(outputs)
        if not keep:
            return logits, network_state
        batch, time = token_ids.shape
        ids = np.concatenate([state[-1], token_ids], axis=1)
        histories = ngram_histories(ids, keep, time, keep)
        logits = logits.reshape(batch * time, -1)
        if self.user is not None and self.user.size != logits.shape[1]:
            out = np.empty((len(logits), self.user.size), dtype=np.float32)
        else:
            out = logits
        for begin in range(0, len(logits), SCORE_ROWS):
            rows = slice(begin, begin + SCORE_ROWS)
            out[rows] = _log(self._mixed(sampling.softmax(logits[rows]), histories[rows]))
        return out.reshape(batch, time, -1), tuple(network_state) + (ids[:, -keep:],)

    @staticmethod
    def select_state(state, rows):
        """The state of the given rows (beam search reorders hypotheses)."""
        return tuple(part[rows] for part in state)

    # ----- text in, words out ---------------------------------------------------------------
    def encode_tokens(self, tokens: list[str]) -> list[int]:
        """Ids of tokens after a start-of-line token (no tokens: the start of a line); a word
        outside the vocabulary is the unknown token (text is input, never an error)."""
        return [EOL_ID] + self.vocabulary.encode(tokens)

    def encode(self, prefix: str) -> list[int]:
        """Token ids of a prefix, after a start-of-line token (an empty prefix starts a line)."""
        return self.encode_tokens(self.tokenize(prefix))

    def knows_any(self, text: str) -> bool:
        """Whether any word of text is in the vocabulary (an empty text counts as known)."""
        ids = self.encode(text)[1:]
        return not ids or any(i != UNK_ID for i in ids)

    def tokenize(self, text: str) -> list[str]:
        """The tokens of text, cut and folded as the model's training text was."""
        return tokenize(text, self.config.lowercase, tokenizer=self.config.tokenizer)

    def distribution(self, prefix: str) -> np.ndarray:
        """The model's probability for every vocabulary id as the token after prefix."""
        return self.distribution_of(self.encode(prefix)).copy()

    def distribution_of(self, ids: list[int]) -> np.ndarray:
        """The next-id distribution after ids (read-only: it may be shared with the cache)."""
        key = tuple(ids)
        found = self._cache.get(key)
        if found is not None:
            return found[0]
        parent = self._cache.get(key[:-1]) if len(key) > 1 else None
        if parent is not None:  # the text grew by one token: one step from its state
            probabilities, state = self._next(np.array([key[-1:]], dtype=np.int32), parent[1])
        else:
            probabilities, state = self._next(np.array([key], dtype=np.int32), None)
        probabilities = probabilities[0]
        probabilities.flags.writeable = False
        self._cache.put(key, (probabilities, state))
        return probabilities

    def mixed_distribution(self, ids: list[int]) -> np.ndarray:
        """distribution_of(ids) with the short-range cache of recent words mixed in: what
        suggestions rank (a new array when the cache holds anything)."""
        return self.recent.mix(self.distribution_of(ids), ids)

    def predict(self, prefix: str, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely next words with their probabilities, most likely first, as
        written (a sentence's first word capitalised, "God" and "I" as the corpus writes them).

        Padding, unknown and end-of-line tokens are never suggested; k larger than the
        vocabulary returns every word. Words outside the vocabulary in prefix are read as the
        unknown token.
        """
        completion.check_k(k)
        reading = suggestions.read(self, prefix.rstrip() + " ")
        return [(s.word, s.probability) for s in suggestions.next_words(
            self, reading.folded, reading.written, k, words_only=False)]

    def best(self, probabilities: np.ndarray, k: int, candidates=None,
             words_only: bool = False):
        """The k most probable ids (of candidates, default every word) as (word, p) pairs.

        Ties go to the lower id, the more frequent word. words_only: no punctuation (a
        keyboard's next words: a punctuation mark is typed, never taken from them).
        """
        if candidates is None:
            scores = probabilities.copy()
            # A word learned (and blocked) by another process since this distribution was
            # computed lies beyond it: only the ids it has are blocked here.
            blocked = [i for i in self.blocked if i < len(scores)]
            scores[[PAD_ID, UNK_ID, EOL_ID, *blocked]] = -1.0
            if words_only:
                marks = self.punctuation
                scores[marks[marks < len(scores)]] = -1.0
            count = min(k, int((scores >= 0).sum()))
            ids = np.arange(len(scores))
        else:
            scores, ids = probabilities[candidates], candidates
            count = min(k, len(ids))
        if count <= 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count] if count < len(scores) \
            else np.arange(len(scores))
        if count < len(scores):  # words tied with the last one taken compete by id, as below
            best = np.flatnonzero(scores >= scores[best].min())
        best = best[np.lexsort((ids[best], -scores[best]))][:count]
        tokens = self.vocabulary.tokens
        return [(tokens[ids[i]], float(scores[i])) for i in best]

    @property
    def banned(self) -> list[int]:
        """Ids generation never draws: padding, the unknown token and blocked words."""
        return [PAD_ID, UNK_ID, *sorted(self.blocked)]

    # ----- learning and forgetting (learning.py) ------------------------------------------------
    def forget(self, words) -> list[str]:
        """Never suggest these words again (next words, completions, generation); returns
        the words newly blocked. `save()` keeps the change in the file."""
        return learning.forget(self, words)

    def unforget(self, words) -> list[str]:
        """Suggest these blocked words again; returns the words unblocked."""
        return learning.unforget(self, words)

    @property
    def blocked_words(self) -> list[str]:
        return sorted([self.vocabulary.tokens[i] for i in self.blocked]
                      + list(self.blocked_outside))

    def save(self, path: str | None = None) -> None:
        """Write the model, with what changed in this predictor (blocked words, learned text),
        to path (default: the file it came from), atomically, without TensorFlow, merged with
        what other processes wrote to it meanwhile (sharing.py)."""
        sharing.save(self, path)

    def refresh(self) -> bool:
        """Take in what other processes wrote to the file since this predictor read or wrote
        it, keeping its own unsaved changes; returns whether there was anything."""
        return sharing.refresh(self)

    def learn(self, text: str) -> dict:
        """Learn the words and phrases of text (lines of it) into the user layer, in memory;
        `save()` keeps it. Returns {"lines", "tokens", "new words"} learned."""
        return learning.learn(self, text)

    def learn_files(self, files, on_bytes=None) -> dict:
        """Learn the text of files (checked paths, see text.corpus.find_files); see learn."""
        return learning.learn_files(self, files, on_bytes)

    def learn_lines(self, lines: list) -> dict:
        """Learn lines of tokens (as `tokenize` cuts them); see learn."""
        return learning.learn_lines(self, lines)

    @property
    def learned(self) -> dict:
        """How much the user layer holds: lines, tokens and new words learned."""
        return learning.learned(self)

    def reset_learning(self) -> None:
        """Drop everything learned (the user layer); blocked words stay blocked."""
        learning.reset_learning(self)

    def set_learned(self, user: UserLayer | None, vocabulary: Vocabulary) -> None:
        """Put a user layer and its vocabulary (the base's and the learned words) in place;
        what was derived from the old ones (prefix index, cached contexts) is dropped."""
        self.user, self.vocabulary = user, vocabulary
        self._speller_before = self._speller or self._speller_before
        self._prefixes = self._speller = self._forms = self._punctuation = None
        self._cache = self._cache.emptied()

    # ----- completing (completion.py) -----------------------------------------------------------
    @property
    def prefixes(self) -> PrefixIndex:
        """The vocabulary sorted as text, to find the words that begin with a typed part."""
        if self._prefixes is None:
            self._prefixes = PrefixIndex(self.vocabulary.tokens, excluded=SPECIALS)
        return self._prefixes

    def suggest(self, text: str, k: int = 5, correct: bool = True,
                phrases: bool = False, passed=()) -> list:
        """What a keyboard shows at the end of text: suggestions.Suggestion records (word as
        written, probability, kind "next", "completion" or "correction", the characters it
        replaces, autocorrect). correct=False: no corrections. phrases=True: after the k
        words, a phrase of several words (kind "phrase") when the model is sure enough of
        one (phrases.py). passed: the words shown since the word being typed began, which the
        typist passed over: not shown again for it. See suggestions.py."""
        completion.check_k(k)
        return suggestions.suggest(self, text, k, correct, phrases, passed)

    def complete(self, text: str, k: int = 5, correct: bool = True) -> list[tuple[str, float]]:
        """Suggestions for what is being typed, as (word, probability) pairs: completions
        inside a word (and corrections of a typo), next words after one.

        If text ends inside a word ("and the lo"), the vocabulary words that begin with the
        typed part, ranked by the model's probability given the words before it; if it ends
        with whitespace (or punctuation), the next words as `predict` (a likely typo in the
        word just finished corrected first). Words come back as written. No candidate: [].
        """
        return [(s.word, s.probability) for s in self.suggest(text, k, correct)]

    def completion(self, text: str, k: int = 5) -> tuple[list[tuple[str, float]], str]:
        """Like complete, and says which it did: (suggestions, "completion" or "next")."""
        found = self.complete(text, k)
        return found, "next" if suggestions.read(self, text).typed is None else "completion"

    def corrections(self, text: str, word: str, k: int = 3) -> list:
        """Up to k corrections (Suggestion records) of `word` typed after text, the likeliest
        first; empty when the engine would leave the word as it is."""
        return suggestions.corrections(self, text, word, k)

    @property
    def forms(self) -> SurfaceForms:
        """How the words are written: the model file's forms and the learned text's."""
        if self._forms is None:
            learned = self.user.forms if self.user is not None else None
            self._forms = self.base_forms.merged(learned) if learned else self.base_forms
        return self._forms

    @property
    def punctuation(self) -> np.ndarray:
        """The ids of the vocabulary's tokens that are not words (punctuation marks)."""
        if self._punctuation is None:
            self._punctuation = np.array(
                [i for i, token in enumerate(self.vocabulary.tokens)
                 if i >= len(SPECIALS) and not completion.WORD_START.match(token)],
                dtype=np.int64)
        return self._punctuation

    @property
    def speller(self) -> Speller:
        """The correction candidates of the vocabulary (correction.py), built on first use."""
        if self._speller is None:
            before = self._speller_before
            config = self.config
            self._speller = before.extended(self.vocabulary.tokens) if before is not None \
                else Speller(self.vocabulary.tokens, config.lowercase and not config.spells)
            self._speller_before = None
        return self._speller

    def generate(self, prefix: str = "", config: GenerationConfig | None = None,
                 **settings) -> str:
        """A continuation of prefix, as text (punctuation attached, end-of-line as a newline).

        config: a GenerationConfig; keyword settings (words=..., strategy=..., seed=...)
        override its fields. Same settings and seed, same text.
        """
        tokens = self.generate_tokens(prefix, config, **settings)
        if self.config.lowercase:  # as the corpus writes the words
            written = surface_tokens(prefix, tokenizer=self.config.tokenizer)
            tokens = self.forms.write(tokens, self.forms.begins_here(written),
                                      written[-1] if written else "")
        return detokenize(tokens, eol=EOL)

    def generate_tokens(self, prefix: str = "", config: GenerationConfig | None = None,
                        **settings) -> list[str]:
        """Like generate, but returns the generated tokens."""
        config = config or GenerationConfig()
        if settings:
            config = config.replace(**settings)
        history = self.encode(prefix)
        probabilities, state = self._next(np.array([history], dtype=np.int32), None)
        stop = EOL_ID if config.stop_at_eol else None
        if config.strategy == "beam":
            chosen = generation.beam_search(self.step_probabilities, state, probabilities[0],
                                            history, config, self.banned, stop,
                                            self.select_state)
        else:
            chosen = generation.generate(self.step_probabilities, state, probabilities[0],
                                         history, config, self.banned, stop)
        return self.vocabulary.decode(chosen)

    def step_probabilities(self, token_ids: np.ndarray, state):
        """Feed one token per row; returns (next-id probabilities (batch, vocab), state)."""
        return self._next(np.asarray(token_ids, dtype=np.int32)[:, None], state)


def _log(probabilities: np.ndarray) -> np.ndarray:
    """Log-probabilities, in place (a mixture has no logits; its log serves as them)."""
    np.maximum(probabilities, 1e-30, out=probabilities)
    return np.log(probabilities, out=probabilities)
