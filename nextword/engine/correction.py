"""Typos forgiven: the vocabulary words a typed string may have meant, and how likely the typo.

A noisy channel (Kernighan, Church & Gale 1990): a word w is suggested for what was typed t
by P(w | context) x P(t | w), the model's probability of w where it is typed times the
probability of typing t for w. The second comes from the edits between them: substituting a
neighbouring key of a QWERTY keyboard is likelier than another letter; a letter left out,
one added (a neighbour's or the same again) or two swapped cost about as much. The model is
the lever no plain speller has: "the lrod" is "lord" and "and the rove" is "love" or "rose"
by what comes before.

Candidates are found without scanning the vocabulary. Every string one edit from the typed one
(deletes, swaps, substitutions and insertions over the vocabulary's letters) is looked up in
a set of the vocabulary's words and one of its prefixes (for a word typed half, "the lro" ->
"lord"); two edits away, the typed string's deletions are looked up in an index of the
words' deletions (the SymSpell idea, Garbe 2012), built on first use. Words of the spelling
list outside the vocabulary (text/spelling.py) are looked up one edit away, or two letters
added (`Speller.listed`).
"""

from __future__ import annotations

import bisect
import math
import string
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..text import spelling
from ..text.vocab import SPECIALS

# log P(typed | meant) per edit (Kernighan et al.; neighbouring keys after Mays et al.)
NO_ERROR = math.log(0.95)
NEIGHBOUR = math.log(0.01)  # a neighbouring key's letter instead
SUBSTITUTE = math.log(0.0005)  # another letter instead
LEFT_OUT = math.log(0.004)  # a letter left out
DOUBLED = math.log(0.006)  # a letter typed twice, or a neighbour's pressed with it
ADDED = math.log(0.0008)  # another letter added
SWAPPED = math.log(0.004)  # two letters swapped
LETTER = math.log(1 / 20)  # a letter of a word the model does not know, per letter
MIN_LENGTH = 2  # typed strings shorter than this are never corrected
PREFIX_FROM = 3  # nor completed through a typo (two letters say too little)
TWO_EDITS_FROM = 4  # typed parts this long or longer are looked up two edits away
TWO_EDITS_FINISHED_FROM = 3  # ... and finished words this long ("gud" is "good")
SORTED_IN_PYTHON = 64  # list words beginning with a typed part: this few are sorted in Python
ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
STAGGER = (0.0, 0.25, 0.75)  # each row's shift on a keyboard, in keys


def _neighbours() -> dict:
    """Each QWERTY letter's neighbouring keys."""
    where = {key: (row, column + STAGGER[row]) for row, keys in enumerate(ROWS)
             for column, key in enumerate(keys)}
    return {key: {other for other, (row2, x2) in where.items() if other != key
                  and abs(row - row2) <= 1 and abs(x - x2) <= 1.0}
            for key, (row, x) in where.items()}


NEIGHBOURS = _neighbours()
EMPTY = frozenset()
# The letters likely put in between two letters ("" at either end): either one's neighbours,
# or either one again. Computed once: the table is read at every correcting keystroke.
INSERTED = {(before, after): "".join(sorted((NEIGHBOURS.get(before, EMPTY) | {before}
                                             | NEIGHBOURS.get(after, EMPTY) | {after}) - {""}))
            for before in [""] + sorted(NEIGHBOURS) for after in [""] + sorted(NEIGHBOURS)}


def substitution(typed: str, meant: str) -> float:
    """log P(typing `typed` for the letter `meant`)."""
    return NEIGHBOUR if typed in NEIGHBOURS.get(meant, ()) else SUBSTITUTE


def insertion(added: str, before: str, after: str) -> float:
    """log P(an extra `added` between the letters `before` and `after`)."""
    if added in (before, after) or added in NEIGHBOURS.get(before, ()) \
            or added in NEIGHBOURS.get(after, ()):
        return DOUBLED
    return ADDED


def one_edit(typed: str, letters: str) -> list[str]:
    """Every string one edit from typed: a letter taken out, two swapped, one replaced, one
    put in (the letters of `letters`). Built by comprehensions: it runs at every keystroke
    that needs a correction."""
    n = range(len(typed))
    return ([typed[:i] + typed[i + 1:] for i in n]
            + [typed[:i] + typed[i + 1] + typed[i] + typed[i + 2:] for i in n[:-1]
               if typed[i] != typed[i + 1]]
            + [typed[:i] + letter + typed[i + 1:] for i in n for letter in letters
               if letter != typed[i]]
            + [typed[:i] + letter + typed[i:] for i in range(len(typed) + 1)
               for letter in letters])


def likely_edits(typed: str) -> list[str]:
    """The strings one likely edit from typed: a letter taken out, two swapped, a key
    replaced by its neighbour, a neighbour's key (or the same again) put in. A third of
    one_edit's strings, covering most slips of a typist (the costs above)."""
    n = range(len(typed))
    inserted = INSERTED.get
    return ([typed[:i] + typed[i + 1:] for i in n]
            + [typed[:i] + typed[i + 1] + typed[i] + typed[i + 2:] for i in n[:-1]
               if typed[i] != typed[i + 1]]
            + [typed[:i] + letter + typed[i + 1:] for i in n
               for letter in NEIGHBOURS.get(typed[i], EMPTY)]
            + [typed[:i] + letter + typed[i:] for i in range(len(typed) + 1)
               for letter in inserted((typed[i - 1:i], typed[i:i + 1]), "")])


def edit_cost(typed: str, meant: str) -> float:
    """log P(typed | meant) for strings one edit apart (as one_edit makes them)."""
    i, shorter = 0, min(len(typed), len(meant))
    while i < shorter and typed[i] == meant[i]:
        i += 1
    if len(meant) == len(typed) - 1:  # typed has an extra letter at i
        return insertion(typed[i], typed[i - 1:i], typed[i + 1:i + 2])
    if len(meant) == len(typed) + 1:  # typed lacks meant's letter at i
        return LEFT_OUT
    if i + 1 < len(typed) and typed[i + 1:] != meant[i + 1:]:  # two letters swapped
        return SWAPPED
    return substitution(typed[i], meant[i])


@lru_cache(maxsize=1 << 16)
def channel(typed: str, meant: str) -> float:
    """log P(typed | meant): the likeliest way of edits (Damerau-Levenshtein with the costs
    above; for the few candidates found two edits away). One row of the table at a time, and
    remembered: a finished word is scored for its corrections and again for what follows."""
    columns = len(typed) + 1
    row = [0.0] * columns  # meant[:0] against typed[:j]: letters put in
    for j in range(1, columns):
        row[j] = row[j - 1] + insertion(typed[j - 1], typed[j - 2:j - 1], meant[:1])
    before = row
    for i in range(1, len(meant) + 1):
        letter, after = meant[i - 1], meant[i:i + 1]
        current = [row[0] + LEFT_OUT] * columns
        for j in range(1, columns):
            key = typed[j - 1]
            best = row[j - 1] + (0.0 if letter == key else substitution(key, letter))
            other = row[j] + LEFT_OUT
            if other > best:
                best = other
            other = current[j - 1] + insertion(key, typed[j - 2:j - 1], after)
            if other > best:
                best = other
            if i > 1 and j > 1 and letter == typed[j - 2] and meant[i - 2] == key:
                other = before[j - 2] + SWAPPED
                if other > best:
                    best = other
            current[j] = best
        before, row = row, current
    return row[-1]


def _most_frequent(typed: str, low: int, high: int, k: int):
    """Positions low..high-1 of the list's words (those beginning with `typed`), the most
    frequent first (ties in order): a few sorted in Python (numpy's call costs would
    dominate); for a typed part of PREFIX_FROM letters, those kept beginning with it first
    (`_in_order`); many through the likeliest 4k + 16 first; all only if those run out."""
    _, counts, array, tops = _in_order()
    if high - low <= SORTED_IN_PYTHON:
        yield from sorted(range(low, high), key=counts.__getitem__, reverse=True)
        return
    first = tops.get(typed) if len(typed) == PREFIX_FROM else None
    span = -array[low:high]
    if first is None:
        few = min(4 * k + 16, high - low - 1)
        best = np.argpartition(span, few)[:few]
        first = (low + best[np.argsort(span[best], kind="stable")]).tolist()
    yield from first
    done = set(first)
    yield from (i for i in (low + np.argsort(span, kind="stable")).tolist() if i not in done)


@lru_cache(maxsize=None)
def _in_order() -> tuple[list[str], list[float], np.ndarray, dict]:
    """spelling.in_order, its log counts also as an array (for the long spans of a short
    typed part), and for each beginning of PREFIX_FROM letters with more than
    SORTED_IN_PYTHON words, the positions of its SORTED_IN_PYTHON most frequent."""
    words, logs = spelling.in_order()
    spans: dict = {}
    for i, word in enumerate(words):
        spans.setdefault(word[:PREFIX_FROM], []).append(i)
    tops = {begun: sorted(found, key=logs.__getitem__, reverse=True)[:SORTED_IN_PYTHON]
            for begun, found in spans.items() if len(found) > SORTED_IN_PYTHON}
    return words, logs, np.array(logs), tops


def deletions(word: str, depth: int) -> set:
    """Every string made by deleting up to `depth` letters of word (word itself included)."""
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


@dataclass
class Candidates:
    """What a typed string may have meant: word id -> log P(typed | word), for the typed string
    standing for the whole word, and for a prefix of the word (completing). Plain dicts: a
    keystroke's few candidates are scored faster in Python than through numpy."""
    whole: dict
    begun: dict

    @classmethod
    def none(cls) -> "Candidates":
        return cls({}, {})


class Speller:
    """The correction candidates of a vocabulary (its folded tokens), built on first use.
    listing: the spelling list's words outside the vocabulary are candidates too (a model
    that folds case and has spaces between words; the list is folded English words)."""

    def __init__(self, tokens: list[str], listing: bool = True):
        self.tokens = tokens
        self.listing = listing
        self.index = {token: i for i, token in enumerate(tokens)
                      if token not in SPECIALS and token.isalpha()}
        self.letters = "".join(sorted({c for token in self.index for c in token}))
        self._table = None
        self._deletes = None
        self._listed = None

    @property
    def table(self) -> dict:
        """Every word and every prefix of one (PREFIX_FROM - 1 letters or more: one edit
        from a typed part) -> (the word's id or -1, the ids of the words it begins)."""
        if self._table is None:
            begun: dict = {}
            for token, i in self.index.items():
                for end in range(PREFIX_FROM - 1, len(token) + 1):
                    begun.setdefault(token[:end], []).append(i)
            table = {prefix: (self.index.get(prefix, -1), words)
                     for prefix, words in begun.items()}
            for token, i in self.index.items():  # words shorter than any prefix kept
                table.setdefault(token, (i, [i]))
            self._table = table
        return self._table

    @property
    def deletes(self) -> dict:
        """Each word's strings two deletions away or less -> the words (SymSpell's index)."""
        if self._deletes is None:
            deletes: dict = {}
            for token, i in self.index.items():
                if len(token) >= TWO_EDITS_FROM - 1:
                    for variant in deletions(token, 2):
                        deletes.setdefault(variant, []).append(i)
            self._deletes = deletes
        return self._deletes

    def extended(self, tokens: list[str]) -> "Speller":
        """The speller of `tokens`, built from this one's tables when `tokens` only adds
        words at the end of its vocabulary (a learned line): the words' deletions, which
        take about 0.25 s to index for 8,000 words, are then indexed for the new words only.
        This speller's tables are copied, never changed: readers may be using them."""
        speller = Speller(tokens, self.listing)
        if tokens[:len(self.tokens)] != self.tokens:
            return speller
        added = [(token, i) for token, i in speller.index.items() if i >= len(self.tokens)]
        if self._table is not None:
            table = dict(self._table)
            for token, i in added:
                for end in range(PREFIX_FROM - 1, len(token) + 1):
                    prefix = token[:end]
                    _, words = table.get(prefix, (-1, []))
                    table[prefix] = (speller.index.get(prefix, -1), words + [i])
                table.setdefault(token, (i, [i]))
            speller._table = table
        if self._deletes is not None:
            deletes = dict(self._deletes)
            for token, i in added:
                if len(token) >= TWO_EDITS_FROM - 1:
                    for variant in deletions(token, 2):
                        deletes[variant] = deletes.get(variant, []) + [i]
            speller._deletes = deletes
        return speller

    @property
    def lexicon(self) -> tuple[dict, float]:
        """spelling.outside for this vocabulary (({}, 0.0) for none), read on first use."""
        if self._listed is None:
            words = [token for token in self.tokens if token not in SPECIALS]
            self._listed = (self.listing and spelling.outside(words)) or ({}, 0.0)
        return self._listed

    def lists(self, word: str) -> bool:
        """Whether `word` (folded) is a word of the spelling list outside the vocabulary."""
        return word in self.lexicon[0] and word not in self.index

    def listed_beginning(self, typed: str, k: int) -> dict:
        """The k most frequent words of the spelling list outside the vocabulary that begin
        with `typed` (folded, PREFIX_FROM letters or more) -> log of their share of the
        unknown token: a word the model never saw is completed as a keyboard's dictionary
        completes it."""
        if len(typed) < PREFIX_FROM:  # before the list is read: two letters need none of it
            return {}
        logs, offset = self.lexicon
        if not logs:
            return {}
        words, counts, _, _ = _in_order()
        low = bisect.bisect_left(words, typed)
        high = bisect.bisect_left(words, typed + "\U0010ffff", low)
        found: dict = {}
        index = self.index
        for i in _most_frequent(typed, low, high, k):
            word = words[i]
            if word not in index:
                found[word] = counts[i] + offset
                if len(found) == k:
                    break
        return found

    def listed(self, typed: str) -> dict:
        """The spelling list's words outside the vocabulary that `typed` (folded, a whole
        word of TWO_EDITS_FROM letters or more) may have meant -> log P(typed | word) + log
        of the word's share of the unknown token: one edit away, or two letters added."""
        if len(typed) < TWO_EDITS_FROM or not typed.isalpha():
            return {}
        logs, offset = self.lexicon
        if not logs:
            return {}
        index, found = self.index, {}
        for variant in one_edit(typed, string.ascii_lowercase):
            count = logs.get(variant)
            if count is not None and variant not in index:
                found[variant] = max(found.get(variant, -math.inf),
                                     count + offset + edit_cost(typed, variant))
        for variant in deletions(typed, 2):
            count = logs.get(variant)
            if count is not None and variant not in found and variant not in index \
                    and variant != typed:
                found[variant] = count + offset + channel(typed, variant)
        return found

    def candidates(self, typed: str, completing: bool, prefixes: bool = True) -> Candidates:
        """The words `typed` may have meant (not typed itself): the whole word one or two
        edits away, and when completing (unless not `prefixes`), words with a prefix one
        edit away.

        Completing (a keystroke inside a word, where speed counts) looks at the likely slips
        first and at every other edit only when those name no word; a finished word (what a
        space would autocorrect) is looked up every edit away."""
        if len(typed) < MIN_LENGTH or not typed.isalpha():
            return Candidates.none()
        whole: dict = {}  # word -> the best log P(typed | it)
        begins: dict = {}  # word -> the best log P(typed | a prefix of it)
        with_prefixes = completing and prefixes and len(typed) >= PREFIX_FROM
        table = self.table
        # The likely slips first; the other edits (20 times less likely each) only when
        # those name no word.
        hits = [(v, hit) for v in likely_edits(typed) if (hit := table.get(v)) is not None] \
            if completing else []
        if not any(word >= 0 for _, (word, _) in hits):
            hits = [(v, hit) for v in one_edit(typed, self.letters)
                    if (hit := table.get(v)) is not None]
        lowest = -math.inf
        for variant, (word, begun) in hits:
            if word < 0 and (not with_prefixes or len(variant) < PREFIX_FROM - 1):
                continue
            cost = edit_cost(typed, variant)
            if word >= 0 and cost > whole.get(word, lowest):
                whole[word] = cost
            if with_prefixes:
                get = begins.get
                for other in begun:
                    if other != word and cost > get(other, lowest):
                        begins[other] = cost
        # Two edits away: when one edit names no word, and for a finished word always (a
        # frequent word two edits away may beat a rare one at one: "tath" is "that").
        if len(typed) >= (TWO_EDITS_FROM if completing else TWO_EDITS_FINISHED_FROM) \
                and (not whole or not completing):
            for variant in deletions(typed, 1 if whole else 2):
                if len(variant) < 2:
                    continue
                for word in self.deletes.get(variant, ()):
                    token = self.tokens[word]
                    # Two letters changed of three leave too little to go by: a three-letter
                    # word is corrected two edits away only to a longer one ("gud": good).
                    if word not in whole and token != typed \
                            and abs(len(token) - len(typed)) <= 2 \
                            and (len(typed) > 3 or len(token) > 3):
                        cost = channel(typed, token)
                        if cost > 2 * SUBSTITUTE - 1e-9:  # two edits at most
                            whole[word] = cost
        return Candidates(whole, begins)
