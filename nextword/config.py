"""The one configuration object: training options, saved inside every model file.

Each field maps one to one onto a `nextword train` option, so a model file says exactly how it
was made and prediction rebuilds tokenisation from the file alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import NextwordError

CELLS = ("simplernn", "lstm", "gru")


@dataclass
class Config:
    # Tokenisation and vocabulary.
    lowercase: bool = True  # fold case so "The" and "the" share statistics
    max_vocab: int = 10000  # vocabulary size, the 3 special tokens included
    min_count: int = 2  # words seen fewer times become the unknown token
    encoding: str = "utf-8"  # how corpus files are decoded (a byte-order mark wins)
    # Model: Embedding -> cell x layers -> Dense softmax.
    cell: str = "gru"  # beat LSTM and SimpleRNN at equal time on KJV (benchmarks/quality.py)
    layers: int = 1
    units: int = 256
    embedding_dim: int = 256
    dropout: float = 0.2  # on the embedding output and between recurrent layers
    tie_weights: bool = True  # the output layer reuses the embedding matrix (Press & Wolf 2017)
    # Training.
    sequence_length: int = 32  # tokens per window; every position predicts its next token
    batch_size: int = 32
    epochs: int = 7
    learning_rate: float = 0.002
    clipnorm: float = 1.0  # gradient clipping by global norm, against exploding gradients
    patience: int = 2  # epochs without validation improvement before stopping early
    validation_split: float = 0.05
    max_minutes: float = 9.0  # stop after this many minutes, keeping the best (0: no limit)
    sampled_softmax: int = 1024  # train against this many sampled words (0: full softmax);
    # used only when the vocabulary is over twice as large; validation is always full softmax
    # Mixed with an n-gram model (ngram.py) counted in the same pass; 0 or 1: the network alone.
    ngram_order: int = 5  # interpolated modified Kneser-Ney over up to 4 previous words
    ngram_max_entries: int = 5_000_000  # prune rare long n-grams beyond this (0: keep all)
    ngram_max_tokens: int = 20_000_000  # count spread stretches of a longer corpus (0: all)
    mixed_precision: bool = False  # bfloat16 where the CPU has bf16 units (measured slower here)
    seed: int = 1337
    corpus: list = field(default_factory=list)  # the files it was trained on (for reporting)

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
        """Build from a saved dict, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
