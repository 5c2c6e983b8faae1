"""The word vocabulary: counting tokens, cutting rare words, and mapping words to ids.

Ids are fixed by position: 0 is padding, 1 the unknown token, 2 the end-of-line token, then the
kept words from most to least frequent (ties alphabetically, so a vocabulary is reproducible).
This is the order Keras's StringLookup layer uses, which carries the vocabulary inside the model.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from ..errors import NextwordError

PAD, UNK, EOL = "<pad>", "<unk>", "<eol>"
SPECIALS = (PAD, UNK, EOL)
PAD_ID, UNK_ID, EOL_ID = 0, 1, 2


class Vocabulary:
    """An ordered list of tokens with the special tokens first.

    With spell=True (text written without spaces) a word outside the vocabulary is not one
    unknown token: it is spelled as its characters, which the vocabulary keeps, so every
    character of a Chinese text is scored (English words inside it too, letter by letter).
    """

    def __init__(self, tokens: Sequence[str], spell: bool = False):
        tokens = [str(t) for t in tokens]
        if tuple(tokens[:3]) != SPECIALS:
            raise NextwordError("vocabulary does not start with the special tokens "
                                f"{', '.join(SPECIALS)}; it was not written by nextword")
        self.tokens = tokens
        self.index = {token: i for i, token in enumerate(tokens)}
        self.spell = spell

    @classmethod
    def build(cls, counts: Counter, max_vocab: int, min_count: int,
              spell: bool = False, reserved: Sequence[str] = ()) -> "Vocabulary":
        """Keep the most frequent words seen at least min_count times, max_vocab in all.

        With spell=True the characters of words are counted too (each as often as the words
        it appears in) and every character seen is kept first, whatever min_count says, so
        that any word left out can be spelled. `reserved` characters are kept even unseen
        (after those seen, before the words), so later text that has them is still scored.
        """
        if spell:
            characters: Counter = Counter()
            for word, count in counts.items():
                if len(word) > 1 and word not in SPECIALS:
                    for character in word:
                        characters[character] += count
            counts = Counter(counts)
            counts.update(characters)
        words = [(count, word) for word, count in counts.items()
                 if (count >= min_count or spell and len(word) == 1) and word not in SPECIALS]
        words.sort(key=lambda pair: (-pair[0], pair[1]))
        room = max(0, max_vocab - len(SPECIALS))
        if spell:  # characters first, then words, each by frequency
            unseen = [(0, character) for character in reserved
                      if character not in counts and character not in SPECIALS]
            words = [pair for pair in words if len(pair[1]) == 1] + unseen \
                + [pair for pair in words if len(pair[1]) > 1]
        kept = sorted(words[:room], key=lambda pair: (-pair[0], pair[1]))
        return cls(list(SPECIALS) + [word for _, word in kept], spell=spell)

    def pieces(self, token: str) -> list[str]:
        """The vocabulary tokens that stand for token: itself, its characters, or unknown."""
        if token in self.index:
            return [token]
        if self.spell and len(token) > 1:
            return [character if character in self.index else UNK for character in token]
        return [UNK]

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        get = self.index.get
        if not self.spell:
            return [get(token, UNK_ID) for token in tokens]
        return [self.index[piece] for token in tokens for piece in self.pieces(token)]

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
