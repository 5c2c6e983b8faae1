"""Continuing training from a base model (`nextword train NEW --from BASE`): its options,
its vocabulary grown with NEW's words, its n-gram counts, and what the new file records.

Nothing here imports TensorFlow: the base is read through storage and archive (zip, JSON,
h5py); results.describe_base says what `nextword info` shows of it. The base's weights are
carried into the new network by model.transfer_weights.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass

from .. import storage
from ..config import Config
from ..errors import NextwordError
from ..results import CONTINUED_FROM
from ..text.casing import SurfaceForms
from ..text.vocab import SPECIALS, Vocabulary

# Options that change the network's shape or how text becomes tokens: a continued run has
# BASE's, and a command line that gives others is refused.
ARCHITECTURE = ("cell", "layers", "units", "embedding_dim", "tie_weights", "tokenizer",
                "lowercase")
# How much the base's n-gram counts count against NEW's: 1 is as if trained on both texts,
# and measured best overall (KJV -> Shakespeare, benchmarks/README.md): it helps a small NEW
# more than it costs a large one.
BASE_WEIGHT = 1.0


@dataclass
class Base:
    """The model a run continues from, as read from its file."""
    path: str  # absolute
    meta: dict  # its nextword.json
    config: Config
    vocabulary: Vocabulary
    counts: object | None  # its NGramCounts; None in an early format-1 file
    forms: SurfaceForms | None = None  # how its corpus writes its words (format 2)

    @classmethod
    def read(cls, path: str) -> "Base":
        """Read BASE's metadata, vocabulary and n-gram counts; one-line errors name --from."""
        from ..engine import archive
        from ..ngram.counts import NGramCounts

        if not os.path.isfile(path):
            raise NextwordError(f"--from {path}: no such model file; give the .keras file "
                                "to continue training from")
        try:
            arrays = archive.read(path)
            data = storage.read_entry(path, storage.COUNTS_ENTRY)
        except NextwordError as error:
            raise NextwordError(f"--from: {error}") from None
        counts = NGramCounts.from_bytes(data, f"n-gram counts of {path}") if data else None
        return cls(os.path.abspath(path), arrays.meta, arrays.config,
                   Vocabulary(arrays.vocabulary, spell=arrays.config.spells), counts,
                   SurfaceForms.from_bytes(arrays.forms))

    def fingerprint(self) -> dict:
        """What makes a backup this run's: the base's path and content (a backup made from
        another file, or from this one before it changed, is another run's)."""
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return {"path": self.path, "sha256": digest.hexdigest()}

    def record(self, words_added: int, base_weight: float) -> dict:
        """The "continued_from" entry of the new file: BASE's path and training summary."""
        training = {k: v for k, v in self.meta.get("training", {}).items() if k != "history"}
        record = {"path": self.path, "corpus": self.config.corpus, "training": training,
                  "vocabulary_size": len(self.vocabulary), "words_added": words_added,
                  "base_weight": base_weight, "ngram_counts": self.counts is not None}
        if CONTINUED_FROM in self.meta:  # a base that was itself continued: keep the whole lineage
            record[CONTINUED_FROM] = self.meta[CONTINUED_FROM]
        return record


def _flag(name: str, value) -> str:
    """How the command line spells an option's value: --units 64, --keep-case."""
    field = next(f for f in Config.options() if f.name == name)
    flag = field.metadata["flag"] or "--" + name.replace("_", "-")
    if isinstance(value, bool):
        on, _, off = flag.partition("/")
        return on if value or not off else off
    return f"{flag} {value}"


def check_architecture(config: Config, base: Base, given=None) -> None:
    """Raise NextwordError when config's shape or tokenisation contradicts BASE's.

    given: the option names the user set (the others are BASE's anyway); None: all of them.
    """
    clashes = [name for name in ARCHITECTURE
               if (given is None or name in given)
               and not (name == "tokenizer" and getattr(config, name) == "auto")
               and getattr(config, name) != getattr(base.config, name)]
    if clashes:
        asked = ", ".join(_flag(name, getattr(config, name)) for name in clashes)
        has = ", ".join(_flag(name, getattr(base.config, name)) for name in clashes)
        raise NextwordError(f"{asked} contradict{'s' if len(clashes) == 1 else ''} the model "
                            f"continued from ({base.path} has {has}); leave "
                            f"{'it' if len(clashes) == 1 else 'them'} out with --from")


def config_for(base: Base, options: dict, given) -> Config:
    """The Config of a continued run: BASE's, with the options the user gave.

    Args:
        options: every Config option's value (the command line's, defaults included).
        given: the names of the options the user set explicitly; the rest come from BASE.
    """
    values = base.config.to_dict()
    values.update({name: value for name, value in options.items() if name in given})
    values["corpus"] = []
    config = Config.from_dict(values)
    check_architecture(config, base, given)
    config.tokenizer = base.config.tokenizer  # "auto" given: the base's resolved choice
    return config


def grow_vocabulary(base: Vocabulary, counts: Counter, max_vocab: int, min_count: int,
                    reserved=()) -> tuple[Vocabulary, list[str]]:
    """BASE's vocabulary, ids unchanged, then NEW's words it lacks, most frequent first.

    Words seen at least min_count times are added (and, for a spelled vocabulary, every
    character seen, first, as Vocabulary.build keeps them), up to max_vocab tokens in all;
    never fewer than BASE has. Returns (vocabulary, the added words).
    """
    candidates = Vocabulary.build(counts, 1 << 62, min_count, spell=base.spell,
                                  reserved=reserved)  # every candidate, cut below
    new = [word for word in candidates.tokens[len(SPECIALS):] if word not in base.index]
    room = max(0, max_vocab - len(base))
    if base.spell:  # characters first, so that every word can still be spelled
        new = [w for w in new if len(w) == 1] + [w for w in new if len(w) > 1]
    kept = set(new[:room])
    added = [word for word in candidates.tokens if word in kept]  # by frequency again
    return Vocabulary(base.tokens + added, spell=base.spell), added
