"""Keystroke savings as a typist spends keystrokes: the raw text, typed exactly as written.

A simulated typist types each line of a text as it is written, character by character: every
character is a keystroke, capitals included; a line is a fresh context, and the baseline is
every character of the line. Before each keystroke it sees the keyboard's N suggestions for
the text so far (`Predictor.suggest`), and takes the word it is about to type as soon as one
suggestion is exactly it, as written (case included): one keystroke, which inserts the word
and a space. Then, as phone keyboards do, a punctuation mark typed right after an accepted word
goes before that space ("said" + "," gives "said, ": the comma costs a keystroke, the space
after it none), and an apostrophe joins the word ("LORD" + "'" + "S" gives "LORD'S"); where
the text has neither a space nor punctuation next, the inserted space is deleted with a
keystroke. A word typed in full and
then a space: when the keyboard would autocorrect it there, undoing that costs a keystroke.
Nothing else is free. Punctuation is always typed, never taken from the suggestions.

Suggestions depend only on the text so far and the number asked for: each text's are computed
once for each N (a keyboard of 3 slots may show other words than the first 3 of 5, since the
typed text takes the last slot).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .completion import WORD_START
from .phrases import tally_exact_at

APOSTROPHES = {"'", "’"}  # typed after a taken word, they join it ("LORD" + "'S")


@dataclass
class Typed:
    """What typing a text cost with each number of suggestions."""
    suggestions: tuple  # the N values
    characters: int = 0  # the baseline: every character of every line
    words: int = 0  # word tokens in the text
    keystrokes: dict = field(default_factory=dict)  # N -> keystrokes used
    accepted: dict = field(default_factory=dict)  # N -> suggestions taken
    offered: int = 0  # words first offered among the most suggestions (case aside)
    offered_as_written: int = 0  # ... of which as the text writes them
    # With phrases: keystrokes when a phrase may be taken too, and phrases taken, per N;
    # at each word's start, whether a phrase was offered, and how far it was right.
    with_phrases: dict = field(default_factory=dict)
    phrases_taken: dict = field(default_factory=dict)
    phrase_words_taken: dict = field(default_factory=dict)
    boundaries: int = 0  # word starts where a phrase might be offered
    phrases_offered: int = 0
    phrases_exact: int = 0  # exact to their last word (case aside)
    exact_at: dict = field(default_factory=dict)  # N -> [phrases of N words or more, right]

    @property
    def case_right(self) -> float:
        """Of the words offered (case aside), the share offered as the text writes them."""
        return self.offered_as_written / self.offered if self.offered else 1.0

    @property
    def phrase_precision(self) -> float:
        """Of the phrases offered at a word's start, the share exact to their last word."""
        return self.phrases_exact / self.phrases_offered if self.phrases_offered else 0.0

    @property
    def phrase_rate(self) -> float:
        """The share of word starts at which a phrase was offered."""
        return self.phrases_offered / self.boundaries if self.boundaries else 0.0

    def exact_match(self, n: int) -> float | None:
        """ExactMatch@n: of the phrases offered of n words or more, the share whose first n
        words are the text's next n words (case aside); None when none was offered."""
        offered, right = self.exact_at.get(n, (0, 0))
        return right / offered if offered else None


def word_spans(line: str, tokenize) -> list[tuple[int, int]]:
    """(start, end) in line of each of its tokens (tokenize: text -> tokens as written)."""
    spans, at = [], 0
    for token in tokenize(line):
        start = line.find(token, at)
        if start < 0:  # normalisation changed the token: the line is taken as NFC first
            return []
        spans.append((start, start + len(token)))
        at = start + len(token)
    return spans


class Typist:
    """Types lines with a keyboard: suggest(text, k) -> records with .word, .kind, .autocorrect."""

    def __init__(self, suggest, tokenize, suggestions=(3,), phrases: bool = False):
        self.suggest = suggest
        self.tokenize = tokenize
        self.counts = tuple(sorted(set(int(n) for n in suggestions)))
        self.most = self.counts[-1]
        self.phrases = phrases  # suggest offers phrases: type with them too

    def type_lines(self, lines, result: Typed | None = None) -> Typed:
        result = result or Typed(self.counts)
        for n in self.counts:
            for counter in (result.keystrokes, result.accepted, result.with_phrases,
                            result.phrases_taken, result.phrase_words_taken):
                counter.setdefault(n, 0)
        for line in lines:
            self.type_line(unicodedata.normalize("NFC", line.rstrip("\n")), result)
        return result

    def type_line(self, line: str, result: Typed) -> None:
        if not line.strip():
            return
        spans = word_spans(line, self.tokenize)
        shown: dict = {}  # (text so far, N) -> what a keyboard of N slots shows

        def offered(text, n=self.most):
            # Asked for each N: a keyboard of 3 slots may show other words than the first
            # 3 of 5 (the typed text itself takes the last slot).
            if (text, n) not in shown:
                shown[text, n] = self.suggest(text, n)
            return shown[text, n]

        result.characters += len(line)
        words = [(a, b) for a, b in spans if WORD_START.match(line[a])]
        result.words += len(words)
        self._note_offers(line, words, offered, result)
        for n in self.counts:
            result.keystrokes[n] += self._keystrokes(line, words, offered, n, result)
            if self.phrases:
                result.with_phrases[n] += self._keystrokes(line, words, offered, n, result,
                                                           phrases=True)

    def _keystrokes(self, line, words, offered, n, result, phrases: bool = False) -> int:
        """Keystrokes typing line with n suggestions (and phrases, when phrases)."""
        starts = {a: b for a, b in words}
        used, at, spaced = 0, 0, False  # spaced: a space inserted after an accepted word
        while at < len(line):
            character = line[at]
            if spaced:
                if character == " ":  # the inserted space was the text's
                    at, spaced = at + 1, False
                    continue
                if character in APOSTROPHES:  # it continues the word: the space goes
                    used, at, spaced = used + 1, at + 1, False
                    continue
                if not WORD_START.match(character) and not character.isspace():
                    used, at = used + 1, at + 1  # punctuation goes before the space
                    continue
                used, spaced = used + 1, False  # neither: delete the inserted space
                continue
            end = starts.get(at)
            if end is not None:  # a word begins: take it as soon as it is offered
                target = line[at:end]
                taken = False
                for typed in range(len(target)):
                    shown = offered(line[:at + typed], n)
                    phrase = phrase_taken(line, at, shown) if phrases else None
                    if phrase is not None:  # one keystroke writes the phrase and a space
                        used += typed + 1
                        result.phrases_taken[n] += 1
                        result.phrase_words_taken[n] += phrase[1]
                        at, spaced, taken = at + len(phrase[0]), True, True
                        break
                    if target in takeable(words_of(shown), typed):
                        used += typed + 1
                        if not phrases:
                            result.accepted[n] += 1
                        at, spaced, taken = end, True, True
                        break
                if taken:
                    continue
                used += len(target)  # typed in full
                at = end
                if at < len(line) and line[at] == " ":  # the space may set off autocorrect
                    following = offered(line[:at + 1], n)
                    used += 1 + (1 if following and following[0].autocorrect else 0)
                    at += 1
                continue
            used, at = used + 1, at + 1
        return used

    def _note_offers(self, line, words, offered, result) -> None:
        """For each word, whether the first suggestion list that offers it (case aside) offers
        it as the text writes it."""
        for a, b in words:
            target = line[a:b]
            if self.phrases:
                self._note_phrase(line, a, offered(line[:a]), result)
            for typed in range(len(target)):
                listed = takeable(words_of(offered(line[:a + typed])), typed)
                if any(word.lower() == target.lower() for word in listed):
                    result.offered += 1
                    result.offered_as_written += target in listed
                    break

    def _note_phrase(self, line, at, shown, result) -> None:
        """At a word's start: whether a phrase is offered, and how far it is right."""
        result.boundaries += 1
        phrase = next((s.word for s in shown if s.kind == "phrase"), None)
        if phrase is None:
            return
        result.phrases_offered += 1
        offered = [token.casefold() for token in self.tokenize(phrase)]
        text = [token.casefold() for token in self.tokenize(line[at:])][:len(offered)]
        result.phrases_exact += offered == text
        tally_exact_at(result.exact_at, offered, text,
                       [bool(WORD_START.match(token)) for token in offered])


def words_of(suggestions) -> list:
    """The single words among suggestions (a phrase is offered apart from them)."""
    return [s for s in suggestions if s.kind != "phrase"]


def phrase_taken(line: str, at: int, suggestions) -> tuple[str, int] | None:
    """(text, words) of the phrase offered among suggestions when the line goes on with it
    from `at` to a word's end, else None."""
    for s in suggestions:
        if s.kind == "phrase":
            end = at + len(s.word)
            if line.startswith(s.word, at) and (end == len(line)
                                                or not WORD_START.match(line[end])):
                return s.word, sum(1 for token in s.word.split() if WORD_START.match(token))
    return None


def takeable(suggestions, typed: int) -> list[str]:
    """The words a typist can take to write the next word, `typed` characters of it typed: at
    its start, not a correction (which rewrites the word before)."""
    return [s.word for s in suggestions if typed or s.kind != "correction"]
