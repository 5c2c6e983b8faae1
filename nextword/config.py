"""The one configuration object: training options, saved inside every model file.

Each field is declared once, with its default, its help text and its command-line flag
(options.py builds `nextword train`'s options from them; a test holds the README table to
them), so a model file says exactly how it was made and prediction rebuilds tokenisation from
the file alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import NextwordError
from .text.segment import TOKENIZERS

CELLS = ("simplernn", "lstm", "gru")


def option(default, help: str, flag: str | None = None, choices: tuple | None = None,
           type: type | None = None):
    """A dataclass field that is also a command-line option (Config, GenerationConfig).

    Args:
        default: the default value; its type is the option's type unless `type` is given.
        help: the option's help text, one or more full sentences.
        flag: the click flag declaration when not `--field-name` (an on/off pair for booleans).
        choices: the allowed values, for a click.Choice.
        type: the option's type where the default does not show it (a default of None).
    """
    return field(default=default, metadata={"help": help, "flag": flag, "choices": choices,
                                            "type": type})


@dataclass
class Config:
    # Tokenisation and vocabulary.
    lowercase: bool = option(  # fold case so "The" and "the" share statistics
        True, "Fold words to lower case, or keep their case.", flag="--lowercase/--keep-case")
    tokenizer: str = option(  # saved resolved: every command tokenises as training did
        "auto", "How text becomes tokens: words between spaces (words), Chinese words cut by "
        "a segmenter with other unspaced scripts as characters (chinese), or every character "
        "of unspaced scripts (chars); auto picks from the corpus's scripts.",
        choices=TOKENIZERS)
    max_vocab: int = option(
        10000, "Largest vocabulary to keep, the three special tokens included.")
    min_count: int = option(
        2, "Words seen fewer times than this become the unknown token.")
    encoding: str = option(
        "utf-8", "Text encoding of the corpus files (a byte-order mark overrides it).")
    # Model: Embedding -> cell x layers -> Dense softmax.
    cell: str = option(  # GRU beat LSTM and SimpleRNN at equal time on KJV (benchmarks/quality.py)
        "gru", "The recurrent cell.", choices=CELLS)
    layers: int = option(1, "Number of stacked recurrent layers.")
    units: int = option(256, "Units in each recurrent layer.")
    embedding_dim: int = option(256, "Size of the word vectors.")
    dropout: float = option(
        0.2, "Dropout on the word vectors and between recurrent layers (0 turns it off).")
    tie_weights: bool = option(  # fewer parameters, better perplexity (Press & Wolf 2017)
        True, "Share the embedding matrix with the output layer.",
        flag="--tie-weights/--no-tie-weights")
    # Training.
    sequence_length: int = option(
        32, "Tokens per training window; every position is a target.")
    stateful: bool = option(  # truncated back-propagation through time (Williams & Peng 1990)
        False, "Read the corpus as --batch-size contiguous streams whose windows carry the "
               "recurrent state from one to the next (gradients stop at window edges), as "
               "prediction reads text; or train on shuffled windows that each start from a "
               "zero state.", flag="--stateful/--windows")
    batch_size: int = option(32, "Windows per training step.")
    epochs: int = option(
        7, "Most passes over the training windows (early stopping may end sooner).")
    learning_rate: float = option(
        0.002, "Adam's initial learning rate (see --lr-schedule).")
    lr_schedule: str = option(  # anneal beat plateau by time and by epochs on KJV
        "anneal", "How the learning rate changes: held and then lowered linearly to zero over "
                  "the last --anneal-share of the run, whose end is --epochs or --max-minutes, "
                  "whichever comes first (anneal); or halved after each epoch whose "
                  "validation did not improve (plateau: for runs that early stopping is meant "
                  "to end).",
        choices=("anneal", "plateau"))
    anneal_share: float = option(  # measured on KJV: benchmarks/README.md
        0.3, "With --lr-schedule anneal: the share of the run, at its end, over which the "
             "learning rate falls to zero (1: from the first step).")
    clipnorm: float = option(  # against exploding gradients
        1.0, "Clip gradients to this global norm (0 turns clipping off).")
    patience: int = option(2, "Epochs without validation improvement before stopping early.")
    validation_split: float = option(0.05, "Share of windows held out to measure perplexity.")
    max_minutes: float = option(
        9.0, "Stop training after this many minutes and keep the best model (0: no limit).")
    sampled_softmax: int = option(
        1024, "Train against this many sampled words per step instead of the whole "
              "vocabulary, when it has more than twice as many (0: always the full softmax). "
              "Validation and prediction always use the full softmax.")
    # Mixed with an n-gram model (ngram/kneser_ney.py) counted in the same pass; 0 or 1: the network alone.
    ngram_order: int = option(  # interpolated modified Kneser-Ney over up to 4 previous words
        5, "Mix the network with a Kneser-Ney n-gram model of this order counted from the same "
           "corpus and stored in the model file (0: the network alone).")
    ngram_max_entries: int = option(
        5_000_000, "Prune the rarest long n-grams until at most this many remain (0: keep "
                   "all); bounds the model file (about 20 bytes per entry).")
    ngram_max_tokens: int = option(
        20_000_000, "Count the n-grams of at most about this many tokens, in evenly spread "
                    "stretches of a longer corpus (0: all); bounds counting time and memory.")
    mixed_precision: bool | None = option(  # 1.3-1.45x on an AVX512_BF16 CPU (benchmarks/)
        None, "Train in bfloat16 where the CPU has bf16 units, or in float32; the saved model "
              "is float32. Unset: --budget takes the faster where its probe measures both, "
              "and a run without --budget trains in float32.",
        flag="--mixed-precision/--float32", type=bool)
    seed: int = option(1337, "Random seed for the split, shuffling and initial weights.")
    corpus: list = field(default_factory=list)  # the files it was trained on (for reporting)

    @classmethod
    def options(cls) -> list:
        """The fields that are `nextword train` options, in declaration order."""
        return [f for f in dataclasses.fields(cls) if "help" in f.metadata]

    def validate(self) -> "Config":
        """Raise NextwordError for impossible values; checked before TensorFlow is imported."""
        positive = ["max_vocab", "layers", "units", "embedding_dim", "sequence_length",
                    "batch_size", "epochs"]
        for name in positive:
            if getattr(self, name) < 1:
                raise NextwordError(f"--{name.replace('_', '-')} must be at least 1, "
                                    f"got {getattr(self, name)}")
        if self.max_vocab < 4:
            raise NextwordError(f"--max-vocab must be at least 4 (3 special tokens and one word), "
                                f"got {self.max_vocab}")
        if self.min_count < 1:
            raise NextwordError(f"--min-count must be at least 1, got {self.min_count}")
        if self.cell not in CELLS:
            raise NextwordError(f"--cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise NextwordError(f"--dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 < self.validation_split < 1.0:
            raise NextwordError(f"--validation-split must be between 0 and 1 (exclusive), "
                                f"got {self.validation_split}")
        if self.lr_schedule not in ("anneal", "plateau"):
            raise NextwordError(f"--lr-schedule must be anneal or plateau, got "
                                f"{self.lr_schedule!r}")
        if not 0.0 < self.anneal_share <= 1.0:
            raise NextwordError(f"--anneal-share must be in (0, 1], got {self.anneal_share}")
        if self.learning_rate <= 0:
            raise NextwordError(f"--learning-rate must be positive, got {self.learning_rate}")
        if not 0 <= self.ngram_order <= 8:
            raise NextwordError(f"--ngram-order must be between 0 (none) and 8, "
                                f"got {self.ngram_order}")
        for name in ("clipnorm", "max_minutes", "patience", "sampled_softmax",
                     "ngram_max_entries", "ngram_max_tokens"):
            if getattr(self, name) < 0:
                raise NextwordError(f"--{name.replace('_', '-')} must be 0 or more, "
                                    f"got {getattr(self, name)}")
        try:
            "".encode(self.encoding)
        except LookupError:
            raise NextwordError(f"unknown --encoding {self.encoding!r}; "
                                "use a Python codec name such as utf-8 or latin-1") from None
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        """Build from a saved dict, ignoring keys this version does not know.

        A format-1 file without a tokenizer was tokenised by words.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{"tokenizer": "words",
                      **{k: v for k, v in values.items() if k in known}})

    @property
    def spells(self) -> bool:
        """Whether words outside the vocabulary are spelled as characters (unspaced text)."""
        return self.tokenizer in ("chinese", "chars")
