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
  text or after a sentence's end (".", "!", "?", closing quotes and brackets after them);
- in capitals where the corpus mostly writes the word so in the same place: beginning a
  sentence ("GLOUCESTER:" opens a speech in Shakespeare, where "Gloucester" is the name in a
  line), or right after a word in capitals ("DUKE VINCENTIO", "KING RICHARD III"). Those
  counts are kept for the words the corpus ever writes in capitals so.

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
START_CAPITALS, AFTER, AFTER_CAPITALS = "start capitals", "after capitals", "capitals after"


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


def in_capitals(token: str) -> bool:
    """A word of two letters or more written in capitals ("LORD", "DUKE"; not "I" or "O")."""
    return len(token) > 1 and token.isupper()


def count_forms(surface: list[str]) -> tuple[Counter, Counter, Counter]:
    """(forms, first, capitals): how often each surface token occurs away from a sentence's
    start, for those not written folded ("Moses", "LORD"); how often each folded token begins
    a sentence; and, keyed (folded token, place), how often it is written in capitals where
    that says something: ("lord", START_CAPITALS) beginning a sentence, ("duke",
    AFTER_CAPITALS) right after a word in capitals, with (token, AFTER) counting every
    occurrence after a word in capitals. With the folded totals, these give every word's
    forms (SurfaceForms.build)."""
    forms, first, capitals = Counter(), Counter(), Counter()
    previous = ""
    for token, start in zip(surface, sentence_starts(surface)):
        folded = token.lower()
        if start:
            first[folded] += 1
            if in_capitals(token):
                capitals[folded, START_CAPITALS] += 1
        elif token != folded:
            forms[token] += 1
        if in_capitals(previous) and folded != token.upper():  # a word after capitals
            capitals[folded, AFTER] += 1
            if in_capitals(token):
                capitals[folded, AFTER_CAPITALS] += 1
        previous = token
    return forms, first, capitals


class SurfaceForms:
    """Each word's forms, the most frequent first: {folded token: [(form, count), ...]} for the
    words written otherwise than folded. Words not listed are written folded.

    capitals: {folded token: [sentences it begins in capitals, sentences it begins, times in
    capitals after a word in capitals, times after a word in capitals]} for the words the
    corpus writes in capitals in one of those places.
    """

    def __init__(self, forms: dict | None = None, capitals: dict | None = None):
        self.forms = forms or {}
        self.capitals = capitals or {}

    @classmethod
    def build(cls, words, totals: Counter, forms: Counter, first: Counter,
              capitals: Counter | None = None, always=()) -> "SurfaceForms":
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
        places = {}
        for (word, place), count in (capitals or {}).items():
            if place != AFTER:
                places.setdefault(word, Counter())[place] = count
        vocabulary = set(words)
        return cls(kept, {word: [counts[START_CAPITALS], first.get(word, 0),
                                 counts[AFTER_CAPITALS], capitals[word, AFTER]]
                          for word, counts in sorted(places.items()) if word in vocabulary})

    def merged(self, other: "SurfaceForms") -> "SurfaceForms":
        """These forms with other's counts added (what `learn` adds to a model's)."""
        combined = {word: Counter(dict(forms)) for word, forms in self.forms.items()}
        for word, forms in other.forms.items():
            combined.setdefault(word, Counter()).update(dict(forms))
        capitals = {word: list(counts) for word, counts in self.capitals.items()}
        for word, counts in other.capitals.items():
            capitals[word] = [a + b for a, b in zip(capitals.get(word, [0] * 4), counts)]
        return SurfaceForms({word: _ranked(counter) for word, counter in combined.items()},
                            capitals)

    def __len__(self) -> int:
        return len(self.forms)

    def best(self, word: str) -> str:
        """The word's most frequent form."""
        forms = self.forms.get(word)
        return forms[0][0] if forms else word

    def cased(self, word: str, typed: str | None = None, start: bool = False,
              after: str = "") -> str:
        """How to write `word` here. typed: the part of it already typed, as typed (inside a
        word); start: the word begins a sentence (a next word); after: the token before it,
        as written."""
        forms = self.forms.get(word)
        capitals = self._capitals_here(word, start, after)
        if typed:
            if capitals and word.upper().startswith(typed):  # "G" beginning a speech
                return word.upper()
            if forms is None:  # always written folded
                if word.startswith(typed):
                    return word
            else:
                for form, count in forms:
                    if form.startswith(typed) and not (
                            len(typed) == 1 and in_capitals(form)
                            and count < sum(n for f, n in forms if not in_capitals(f))):
                        return form
                # A capital alone begins "For" as well as "FOR": the form in capitals only
                # where the corpus writes it so more often than otherwise ("LORD", not "FOR").
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
        if capitals:
            return best.upper()
        return best[:1].upper() + best[1:] if start else best

    def _capitals_here(self, word: str, start: bool, after: str) -> bool:
        """Whether the corpus mostly writes `word` in capitals in this place."""
        counts = self.capitals.get(word)
        return counts is not None and (start and 2 * counts[0] > counts[1]
                                       or in_capitals(after) and 2 * counts[2] > counts[3])

    def write(self, tokens: list[str], start: bool = True, after: str = "") -> list[str]:
        """Tokens of generated text as written: each word's form, a sentence's first word
        capitalised. start: whether the first token begins a sentence; after: the token
        before the first, as written."""
        written = []
        for token, first in zip(tokens, sentence_starts(tokens, start)):
            after = self.cased(token, start=first, after=after)
            written.append(after)
        return written

    def to_bytes(self) -> bytes:
        saved = {"forms": self.forms, "capitals": self.capitals} if self.capitals \
            else self.forms
        return json.dumps(saved, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "SurfaceForms":
        if not data:
            return cls()
        loaded = json.loads(data)
        capitals = {}
        if isinstance(loaded.get("forms"), dict):  # {"forms": ..., "capitals": ...}
            capitals = {str(word): [int(count) for count in counts]
                        for word, counts in loaded.get("capitals", {}).items()}
            loaded = loaded["forms"]
        return cls({str(word): [(str(form), int(count)) for form, count in forms]
                    for word, forms in loaded.items()}, capitals)


def _ranked(counts: Counter) -> list:
    """A word's forms, the most frequent first (ties alphabetically), at most MAX_FORMS."""
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_FORMS]
