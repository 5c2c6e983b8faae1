"""How words are written: the surface forms of each vocabulary entry, and the one a position
needs.

A lowercasing model reads "Moses", "GOD" and "I" as "moses", "god" and "i"; a keyboard must
give them back as written. Training (and `learn`) counts, for every word, how the text writes
it away from the start of a sentence ("Moses" 847, "LORD" 6,510 / "Lord" 760 / "lord" 212),
since a sentence's first word is capitalised whatever it is. A suggestion then takes:

- inside a word, the most frequent form that begins with what was typed ("lo" -> "lord",
  "Lo" -> "Lord", "LO" -> "LORD"); where none does, the typed case applied to the most
  frequent form ("Mo" -> "Moses", "MO" -> "MOSES"), and a lowercase typed part the corpus
  never writes lowercase keeps the corpus's form ("mo" -> "Moses");
- as a next word, the most frequent form, its first letter capitalised at the start of the
  text or after a sentence's end (".", "!", "?", closing quotes and brackets after them).

Forms are kept in the model file as `nextword-forms.json`, only for words written otherwise
than folded (a few thousand on KJV, tens of kilobytes).
"""

from __future__ import annotations

import json
from collections import Counter

SENTENCE_END = {".", "!", "?", "…"}
LINE_ENDS = {"\n", "<eol>"}  # a text's end of line, as the corpus pass and generation write it
CLOSERS = {'"', "'", ")", "]", "}", "”", "’", "»"}  # may follow a sentence's end
MAX_FORMS = 4  # forms kept per word, the most frequent


def sentence_starts(tokens: list[str], start: bool = True) -> list[bool]:
    """For each token, whether it begins a sentence: the first token (when `start`), the first
    after an end of line or after a sentence's end (closing quotes and brackets skipped)."""
    starts = []
    for token in tokens:
        starts.append(start)
        if token in LINE_ENDS or token in SENTENCE_END:
            start = True
        elif token not in CLOSERS:
            start = False
    return starts


def begins_sentence(tokens: list[str]) -> bool:
    """Whether the token after `tokens` (a text's tokens so far) begins a sentence."""
    for token in reversed(tokens):
        if token in SENTENCE_END or token in LINE_ENDS:
            return True
        if token not in CLOSERS:
            return False
    return True


def count_forms(surface: list[str]) -> tuple[Counter, Counter]:
    """(forms, first): how often each surface token occurs away from a sentence's start, for
    those not written folded ("Moses", "LORD"); and how often each folded token begins a
    sentence. With the folded totals, these give every word's forms (SurfaceForms.build)."""
    forms, first = Counter(), Counter()
    for token, start in zip(surface, sentence_starts(surface)):
        if start:
            first[token.lower()] += 1
        elif token != token.lower():
            forms[token] += 1
    return forms, first


class SurfaceForms:
    """Each word's forms, the most frequent first: {folded token: [(form, count), ...]} for the
    words written otherwise than folded. Words not listed are written folded."""

    def __init__(self, forms: dict | None = None):
        self.forms = forms or {}

    @classmethod
    def build(cls, words, totals: Counter, forms: Counter, first: Counter,
              always=()) -> "SurfaceForms":
        """From count_forms' counters over a corpus whose folded tokens occur `totals` times.

        words: the folded tokens to keep forms for (the vocabulary); always: words whose
        folded count is kept even when the corpus writes them only folded (learned text, where
        the model already has other forms for them).
        """
        by_word: dict[str, Counter] = {}
        for form, count in forms.items():
            by_word.setdefault(form.lower(), Counter())[form] += count
        always = set(always)
        kept = {}
        for word in words:
            written = by_word.get(word, Counter())
            if not written and word not in always:
                continue
            folded = totals.get(word, 0) - first.get(word, 0) - sum(written.values())
            if folded > 0:
                written[word] = folded
            if written:
                kept[word] = _ranked(written)
        return cls(kept)

    def merged(self, other: "SurfaceForms") -> "SurfaceForms":
        """These forms with other's counts added (what `learn` adds to a model's)."""
        combined = {word: Counter(dict(forms)) for word, forms in self.forms.items()}
        for word, forms in other.forms.items():
            combined.setdefault(word, Counter()).update(dict(forms))
        return SurfaceForms({word: _ranked(counter) for word, counter in combined.items()})

    def __len__(self) -> int:
        return len(self.forms)

    def best(self, word: str) -> str:
        """The word's most frequent form."""
        forms = self.forms.get(word)
        return forms[0][0] if forms else word

    def cased(self, word: str, typed: str | None = None, start: bool = False) -> str:
        """How to write `word` here. typed: the part of it already typed, as typed (inside a
        word); start: the word begins a sentence (a next word)."""
        forms = self.forms.get(word)
        if typed:
            if forms is None:  # always written folded
                if word.startswith(typed):
                    return word
            else:
                for form, _ in forms:
                    if form.startswith(typed):
                        return form
            best = forms[0][0] if forms else word
            if len(typed) > 1 and typed.isupper():
                return best.upper()
            if typed[:1].isupper():
                if len(typed) > 1:  # "Lrod": a capital, then lowercase letters
                    titled = [form for form, _ in forms or () if form[:1].isupper()
                              and form[1:] == form[1:].lower()]
                    return titled[0] if titled else word[:1].upper() + word[1:]
                return best[:1].upper() + best[1:]
            return best
        best = forms[0][0] if forms else word
        return best[:1].upper() + best[1:] if start else best

    def write(self, tokens: list[str], start: bool = True) -> list[str]:
        """Tokens of generated text as written: each word's form, a sentence's first word
        capitalised. start: whether the first token begins a sentence."""
        return [self.cased(token, start=first)
                for token, first in zip(tokens, sentence_starts(tokens, start))]

    def to_bytes(self) -> bytes:
        return json.dumps(self.forms, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "SurfaceForms":
        if not data:
            return cls()
        loaded = json.loads(data)
        return cls({str(word): [(str(form), int(count)) for form, count in forms]
                    for word, forms in loaded.items()})


def _ranked(counts: Counter) -> list:
    """A word's forms, the most frequent first (ties alphabetically), at most MAX_FORMS."""
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_FORMS]
