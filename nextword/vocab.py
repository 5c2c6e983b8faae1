"""The word vocabulary: counting tokens, cutting rare words, and mapping words to ids.

Ids are fixed by position: 0 is padding, 1 the unknown token, 2 the end-of-line token, then the
kept words from most to least frequent (ties alphabetically, so a vocabulary is reproducible).
This is the order Keras's StringLookup layer uses, which carries the vocabulary inside the model.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from .errors import NextwordError

PAD, UNK, EOL = "<pad>", "<unk>", "<eol>"
SPECIALS = (PAD, UNK, EOL)
PAD_ID, UNK_ID, EOL_ID = 0, 1, 2


class Vocabulary:
    """An ordered list of tokens with the special tokens first."""

    def __init__(self, tokens: Sequence[str]):
        tokens = [str(t) for t in tokens]
        if tuple(tokens[:3]) != SPECIALS:
            raise NextwordError("vocabulary does not start with the special tokens "
                                f"{', '.join(SPECIALS)}; it was not written by nextword")
        self.tokens = tokens
        self.index = {token: i for i, token in enumerate(tokens)}

    @classmethod
    def build(cls, counts: Counter, max_vocab: int, min_count: int) -> "Vocabulary":
        """Keep the most frequent words seen at least min_count times, max_vocab in all."""
        words = [(count, word) for word, count in counts.items()
                 if count >= min_count and word not in SPECIALS]
        words.sort(key=lambda pair: (-pair[0], pair[1]))
        kept = [word for _, word in words[:max(0, max_vocab - len(SPECIALS))]]
        return cls(list(SPECIALS) + kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        get = self.index.get
        return [get(token, UNK_ID) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def coverage(self, counts: Counter) -> float:
        """Share of the counted tokens that the vocabulary keeps (end-of-line included)."""
        total = sum(counts.values())
        inside = sum(count for word, count in counts.items() if word in self.index)
        return inside / total if total else 0.0

    def save(self, path: str) -> None:
        """Write one token per line, in id order."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(self.tokens) + "\n")
