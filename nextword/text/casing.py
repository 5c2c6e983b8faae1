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

Whether a word begins with a capital after a punctuation mark is learned too: after "said,"
or "saying," KJV begins a speech with one ("saying, Behold"), after "?" it mostly goes on in
lowercase ("knowest thou? or"). Training counts, after each mark (and after each word and the
mark), how often the next word is capitalised, names left out; where a place has been seen
MIN_PLACE times, its majority decides (`SurfaceForms.begins_here`), else the sentence rule.

Forms are kept in the model file as `nextword-forms.json`, only for words written otherwise
than folded, and the places seen MIN_PLACE times (a few thousand on KJV, tens of kilobytes).
"""

from __future__ import annotations

import json
from collections import Counter

SENTENCE_END = {".", "!", "?", "…"}
LINE_ENDS = {"\n", "<eol>"}  # a text's end of line, as the corpus pass and generation write it
CLOSERS = {'"', "'", ")", "]", "}", "”", "’", "»"}  # may follow a sentence's end
MAX_FORMS = 4  # forms kept per word, the most frequent
START_CAPITALS, AFTER, AFTER_CAPITALS = "start capitals", "after capitals", "capitals after"
PLACE, TITLED = "place", "titled"  # count_forms's keys for the words after a punctuation mark
MIN_PLACE = 5  # a place after a mark seen this often decides whether a capital follows it


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
    occurrence after a word in capitals. Also keyed (place, PLACE) the words after a
    punctuation mark (place: the mark, or the word before it and the mark: "said ,"), and
    (place, TITLED) those of them capitalised; names are left out (words this text writes
    capitalised more often than not after a word), as they say nothing of the place. With
    the folded totals, these give every word's forms (SurfaceForms.build)."""
    forms, first, capitals = Counter(), Counter(), Counter()
    titled = Counter()  # words capitalised right after a word: names, "I"
    after_marks = []  # (the word before the mark, the mark, the word, capitalised)
    previous = before = ""
    for token, start in zip(surface, sentence_starts(surface)):
        folded = token.lower()
        if start:
            first[folded] += 1
            if in_capitals(token):
                capitals[folded, START_CAPITALS] += 1
        elif token != folded:
            forms[token] += 1
            if previous[:1].isalnum() and not in_capitals(token):
                titled[folded] += 1
        if in_capitals(previous) and folded != token.upper():  # a word after capitals
            capitals[folded, AFTER] += 1
            if in_capitals(token):
                capitals[folded, AFTER_CAPITALS] += 1
        # _a_mark(previous), inlined: this loop runs over every token of the corpus
        if previous and not previous[:1].isalnum() and previous not in LINE_ENDS \
                and token[:1].isalpha() and not in_capitals(token):
            after_marks.append((before, previous, folded, token != folded))
        before, previous = previous, token
    if after_marks:  # names (written capitalised more often than not) say nothing of a place
        written = Counter(surface)
        names = {word for word, count in titled.items() if count > written[word]}
        for before, mark, folded, capital in after_marks:
            if folded not in names:
                for place in _places(before, mark):
                    capitals[place, PLACE] += 1
                    if capital:
                        capitals[place, TITLED] += 1
    return forms, first, capitals


def _a_mark(token: str) -> bool:
    """A punctuation mark (not a word, a number or an end of line)."""
    return bool(token) and not token[:1].isalnum() and token not in LINE_ENDS


def _capital_after(counts: list) -> bool:
    """Whether a place's [words capitalised, words] say a capital follows it."""
    return 2 * counts[0] > counts[1]


def _places(before: str, mark: str) -> tuple[str, ...]:
    """The places a word after `mark` (and `before` it, as written: "" or an end of line at
    a text's start) is counted in."""
    return (mark, f"{'<eol>' if not before or before in LINE_ENDS else before.lower()} {mark}")


class SurfaceForms:
    """Each word's forms, the most frequent first: {folded token: [(form, count), ...]} for the
    words written otherwise than folded. Words not listed are written folded.

    capitals: {folded token: [sentences it begins in capitals, sentences it begins, times in
    capitals after a word in capitals, times after a word in capitals]} for the words the
    corpus writes in capitals in one of those places.

    places: {a mark, or a word and a mark ("said ,"): [words after it capitalised, words
    after it]}, names left out, for the places that decide (count_forms, begins_here).
    """

    def __init__(self, forms: dict | None = None, capitals: dict | None = None,
                 places: dict | None = None):
        self.forms = forms or {}
        self.capitals = capitals or {}
        self.places = places or {}  # {place after a mark: [words capitalised, words]}

    @classmethod
    def build(cls, words, totals: Counter, forms: Counter, first: Counter,
              capitals: Counter | None = None, always=(),
              least: int = MIN_PLACE) -> "SurfaceForms":
        """From count_forms' counters over a corpus whose folded tokens occur `totals` times.

        words: the folded tokens to keep forms for (the vocabulary); always: words whose
        folded count is kept even when the corpus writes them only folded (learned text, where
        the model already has other forms for them); least: the places after a mark kept are
        those seen this often (1 for learned text, added to a model's).
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
        places, after_marks = {}, {}
        for (word, place), count in (capitals or {}).items():
            if place in (TITLED, PLACE):
                after_marks.setdefault(word, [0, 0])[place == PLACE] += count
            elif place != AFTER:
                places.setdefault(word, Counter())[place] = count
        vocabulary = set(words)
        return cls(kept, {word: [counts[START_CAPITALS], first.get(word, 0),
                                 counts[AFTER_CAPITALS], capitals[word, AFTER]]
                          for word, counts in sorted(places.items()) if word in vocabulary},
                   _deciding(after_marks, least))

    def merged(self, other: "SurfaceForms") -> "SurfaceForms":
        """These forms with other's counts added (what `learn` adds to a model's)."""
        combined = {word: Counter(dict(forms)) for word, forms in self.forms.items()}
        for word, forms in other.forms.items():
            combined.setdefault(word, Counter()).update(dict(forms))
        capitals = {word: list(counts) for word, counts in self.capitals.items()}
        for word, counts in other.capitals.items():
            capitals[word] = [a + b for a, b in zip(capitals.get(word, [0] * 4), counts)]
        places = {place: list(counts) for place, counts in self.places.items()}
        for place, counts in other.places.items():
            places[place] = [a + b for a, b in zip(places.get(place, [0, 0]), counts)]
        return SurfaceForms({word: _ranked(counter) for word, counter in combined.items()},
                            capitals, places)

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

    def begins_here(self, tokens: list[str]) -> bool:
        """Whether the word after `tokens` (a text's tokens so far, as written) begins with a
        capital: as the corpus mostly writes it after the same mark (and the word before it:
        "said ,"), where it has seen that MIN_PLACE times; else at a sentence's start."""
        if tokens and self.places and _a_mark(tokens[-1]):
            for place in reversed(_places(tokens[-2] if len(tokens) > 1 else "", tokens[-1])):
                counts = self.places.get(place)
                if counts is not None and counts[1] >= MIN_PLACE:
                    return _capital_after(counts)
        return begins_sentence(tokens)

    def write(self, tokens: list[str], start: bool = True, after: str = "") -> list[str]:
        """Tokens of generated text as written: each word's form, a sentence's (or a speech's)
        first word capitalised. start: whether the first token begins a sentence; after:
        the token before the first, as written."""
        history, written = [after] if after else [], []
        for i, token in enumerate(tokens):
            first = start if i == 0 else self.begins_here(history)
            written.append(self.cased(token, start=first, after=history[-1] if history else ""))
            history.append(written[-1])
        return written

    def to_bytes(self) -> bytes:
        saved = {"forms": self.forms, "capitals": self.capitals, "places": self.places} \
            if self.capitals or self.places else self.forms
        return json.dumps(saved, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "SurfaceForms":
        if not data:
            return cls()
        loaded = json.loads(data)
        capitals, places = {}, {}
        if isinstance(loaded.get("forms"), dict):  # {"forms": ..., "capitals": ..., ...}
            capitals = {str(word): [int(count) for count in counts]
                        for word, counts in loaded.get("capitals", {}).items()}
            places = {str(place): [int(count) for count in counts]
                      for place, counts in loaded.get("places", {}).items()}
            loaded = loaded["forms"]
        return cls({str(word): [(str(form), int(count)) for form, count in forms]
                    for word, forms in loaded.items()}, capitals, places)


def _deciding(places: dict, least: int) -> dict:
    """The places seen `least` times: every mark, and a word and a mark where its majority
    differs from the mark's alone (the others would decide as the mark does)."""
    seen = {place: counts for place, counts in places.items() if counts[1] >= least}
    if least <= 1:  # learned text: kept whole, to be added to a model's
        return dict(sorted(seen.items()))
    return {place: counts for place, counts in sorted(seen.items())
            if " " not in place or place.rpartition(" ")[2] not in seen
            or _capital_after(counts) != _capital_after(seen[place.rpartition(" ")[2]])}


def _ranked(counts: Counter) -> list:
    """A word's forms, the most frequent first (ties alphabetically), at most MAX_FORMS."""
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:MAX_FORMS]
