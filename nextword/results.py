"""What a training run reports, as saved in the model file; read without TensorFlow."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

# In nextword.json: what a model continued from another (`train --from`) started from.
CONTINUED_FROM = "continued_from"


@dataclass
class TrainingResult:
    """What a training run reports; `to_dict()` is the "training" entry of nextword.json."""

    output: str | None  # the model file; None on a worker that is not the chief
    vocabulary_size: int
    corpus_files: int
    corpus_tokens: int
    coverage: float  # share of the corpus's tokens inside the vocabulary
    network_validation_perplexity: float
    network_validation_accuracy: float
    validation_tokens: int
    ngram_order: int  # 0: no n-gram model
    ngram_entries: int
    validation_perplexity: float  # of what predictions use: the mixture, or the network alone
    validation_accuracy: float
    epochs: int  # of the whole run, resumed parts included
    training_seconds: float  # of this command
    compute_dtype: str
    interrupted: bool
    history: dict  # {"loss": [per epoch], "val_loss": [...], ...}, the whole run
    ngram_validation_perplexity: float | None = None  # with an n-gram model only
    # The phrase threshold calibrated on the held-out text (engine/phrases.py calibrate), the
    # share of phrases offered there at it that were exact, and the share of word starts
    # offered one; None where the held-out text was too short to tell.
    phrase_threshold: float | None = None
    phrase_precision: float | None = None
    phrase_rate: float | None = None

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        for optional in ("ngram_validation_perplexity", "phrase_threshold", "phrase_precision",
                         "phrase_rate"):
            if values[optional] is None:
                del values[optional]
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "TrainingResult":
        """From a file's "training" entry: unknown keys are ignored, missing ones are None
        (an early format-1 file, or one not trained by `nextword train`)."""
        return cls(**{f.name: values.get(f.name, f.default if f.default is not
                                          dataclasses.MISSING else None)
                      for f in dataclasses.fields(cls)})


def describe_base(meta: dict, names_only: bool = False) -> str | None:
    """One line for `nextword info`: the base's path (its file name alone with names_only)
    and how it was trained."""
    record = meta.get(CONTINUED_FROM)
    if not isinstance(record, dict):
        return None
    training = record.get("training", {})
    parts = [f"{len(record.get('corpus', []))} file(s)"]
    if training.get("corpus_tokens") is not None:
        parts.append(f"{training['corpus_tokens']:,} tokens")
    if training.get("epochs") is not None:
        parts.append(f"{training['epochs']} epochs")
    if training.get("validation_perplexity") is not None:
        parts.append(f"validation perplexity {training['validation_perplexity']:.2f}")
    parts.append(f"+{record.get('words_added', 0):,} words")
    if record.get("ngram_counts") and record.get("base_weight"):
        parts.append(f"n-gram counts x {record['base_weight']:g}")
    path = str(record.get("path"))
    return f"{os.path.basename(path) if names_only else path} ({', '.join(parts)})"
