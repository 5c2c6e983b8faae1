"""Phrase suggestions: the likeliest next few words, offered when the model is sure enough.

At a word boundary (or when the word being typed is nearly certain) the engine follows the
model's likeliest word, step by step, up to MAX_WORDS words, stopping before an end of line
and after a sentence's end ("." "?" "!"); punctuation marks inside a phrase come with it
("Moses, saying"). Of that continuation it offers the longest beginning of at least two words
whose probability (the product of its tokens', from the model's own distribution) reaches the
model's threshold.

The threshold trades how often a phrase is offered against how often it is right: the higher
it is, the fewer phrases, and the more of them exact to their last word. Training calibrates
it on the model's held-out text for TARGET_PRECISION (the share of offered phrases that are
the text's next words to the last; `calibrate`) and saves it with the model; a model saved
without one uses DEFAULT_THRESHOLD, calibrated so on held-out KJV. `nextword evaluate TEXT
--phrases` reports the threshold that reaches it on other text, and `--phrase-threshold`
(`predictor.phrase_threshold`) sets one.
A phrase's length-normalised probability (its tokens' geometric mean) was tried as the score
too: at the same precision it offers fewer exact words (docs/experiments/phrases.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..text.casing import SENTENCE_END
from ..text.tokenize import detokenize
from ..text.vocab import EOL_ID, SPECIALS
from .completion import WORD_START

MAX_WORDS = 6  # the longest phrase, in words
MIN_WORDS = 2  # a phrase is at least this many words (one word is a next word)
TARGET_PRECISION = 0.7  # calibrate: the share of offered phrases exact to their last word
DEFAULT_THRESHOLD = 0.5  # the lowest with 70% exact on held-out KJV (70.6%, 2026-12-07)
NEARLY_CERTAIN = 0.9  # a word being typed this likely starts a phrase before it is finished


@dataclass
class Phrase:
    """A continuation: its token ids, the probability of each, and which are words."""
    ids: list
    probabilities: list
    is_word: list

    @property
    def probability(self) -> float:
        return math.prod(self.probabilities)

    @property
    def words(self) -> int:
        return sum(self.is_word)

    def cut(self, threshold: float, normalised: bool = False) -> Phrase | None:
        """The longest beginning of at least MIN_WORDS words whose probability reaches
        threshold, or None. normalised: its tokens' geometric mean reaches it instead."""
        best, p, words = None, 1.0, 0
        for end, (probability, word) in enumerate(zip(self.probabilities, self.is_word)):
            p *= probability
            words += word
            if (p ** (1 / (end + 1)) if normalised else p) < threshold:
                if normalised:
                    continue  # the mean may rise again
                break
            if words >= MIN_WORDS and (end + 1 == len(self.ids) or self.is_word[end + 1]):
                best = end + 1  # a cut never leaves a word's punctuation behind
        if best is None:
            return None
        return Phrase(self.ids[:best], self.probabilities[:best], self.is_word[:best])


def continuation(predictor, ids: list, max_words: int = MAX_WORDS, first=None,
                 floor: float = 0.0) -> Phrase:
    """The model's likeliest continuation of ids (token ids from a start of line), word by
    word, to max_words words, a line's end or a sentence's end. first: (id, probability) of
    a first token already chosen (the word being typed). floor: stop once the continuation's
    probability is below it (no cut at a threshold of floor or more reaches further)."""
    vocabulary, blocked = predictor.vocabulary, predictor.blocked
    phrase = Phrase([], [], [])
    ids = list(ids)
    probability_so_far = 1.0
    while phrase.words < max_words and probability_so_far >= floor:
        if first is not None:
            token, probability = first
            first = None
        else:
            probabilities = predictor.mixed_distribution(ids)
            token = _likeliest(probabilities, blocked)
            probability = float(probabilities[token])
        if token == EOL_ID or token < len(SPECIALS):
            break
        phrase.ids.append(token)
        phrase.probabilities.append(probability)
        probability_so_far *= probability
        phrase.is_word.append(bool(WORD_START.match(vocabulary.tokens[token])))
        ids.append(token)
        if vocabulary.tokens[token] in SENTENCE_END:
            break
    return phrase


def _likeliest(probabilities: np.ndarray, blocked) -> int:
    """The likeliest token that may be shown: no padding or unknown token, nothing blocked
    (the end of line stays: it ends a phrase)."""
    order = np.argpartition(-probabilities, 8)[:9] if len(probabilities) > 9 \
        else np.arange(len(probabilities))
    for token in sorted(order.tolist(), key=lambda t: (-probabilities[t], t)):
        if token == EOL_ID or (token >= len(SPECIALS) and token not in blocked):
            return token
    return EOL_ID


def offered(predictor, context: list, written: list, typed: tuple | None = None,
            limit: float | None = None) -> tuple[str, float] | None:
    """The phrase to offer after the context tokens (folded, and as written), as (text as
    written, probability), or None. typed: (token id, probability, typed part as written) of
    the word being typed, when it is nearly certain: the phrase begins with it."""
    ids = predictor.encode_tokens(context)
    first = typed[:2] if typed is not None else None
    limit = predictor.phrase_threshold if limit is None else limit
    phrase = continuation(predictor, ids, first=first, floor=limit).cut(limit)
    if phrase is None:
        return None
    return written_phrase(predictor, phrase, written, typed[2] if typed else None), \
        phrase.probability


def written_phrase(predictor, phrase: Phrase, written: list, typed: str | None = None) -> str:
    """The phrase's text as it is to be written after the written context tokens: the word
    being typed (`typed`) as it is typed, the rest as the corpus writes it."""
    tokens = predictor.vocabulary.decode(phrase.ids)
    if predictor.config.lowercase:
        forms = predictor.forms
        start, after = forms.begins_here(written), written[-1] if written else ""
        if typed is not None:
            first = forms.cased(tokens[0], typed=typed, start=start, after=after)
            tokens = [first] + forms.write(tokens[1:], forms.begins_here(written + [first]),
                                           first)
        else:
            tokens = forms.write(tokens, start, after)
    return detokenize(tokens)


THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# Training calibrates on a finer grid (calibrate); a threshold needs LEAST phrases to count.
CALIBRATION_THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(16))  # 0.2 ... 0.95
LEAST = 20


@dataclass
class Measured:
    """How phrases fare at the word starts of a text, for several thresholds."""
    boundaries: int  # word starts
    offered: dict  # threshold -> phrases offered
    exact: dict  # threshold -> of which exact to their last word
    words: dict  # threshold -> words in the exact ones
    exact_at: dict  # threshold -> {n: [phrases of n words or more, of which n words right]}

    def precision(self, limit: float) -> float:
        return self.exact[limit] / self.offered[limit] if self.offered[limit] else 0.0

    def rate(self, limit: float) -> float:
        return self.offered[limit] / self.boundaries if self.boundaries else 0.0

    def exact_match(self, limit: float, n: int) -> float | None:
        offered, right = self.exact_at[limit].get(n, (0, 0))
        return right / offered if offered else None

    def calibrated(self, target: float = TARGET_PRECISION, least: int = LEAST) -> float | None:
        """The lowest threshold whose phrases are exact at least `target` of the time, and
        those of every higher one too; None when none is. A threshold with fewer than `least`
        phrases offered tells nothing either way: it is passed over."""
        found = None
        for limit in sorted(self.offered, reverse=True):
            if self.offered[limit] < least:
                continue
            if self.precision(limit) < target:
                break
            found = limit
        return found

    def most_precise(self, least: int = LEAST) -> float | None:
        """The highest threshold with at least `least` phrases offered (the most careful one
        that says anything), or None."""
        return max((limit for limit in self.offered if self.offered[limit] >= least),
                   default=None)


def continuations(predictor, lines, floor: float = 0.0):
    """(the continuation, the text's next ids) at every word start of each line (a fresh
    line each, the text before it as context); floor: as continuation's, for measures at
    thresholds of floor and more."""
    vocabulary = predictor.vocabulary

    def cases():
        for line in lines:
            ids = predictor.encode(line)
            for at in range(1, len(ids)):
                if WORD_START.match(vocabulary.tokens[ids[at]]):
                    yield ids[:at], ids[at:]

    return continuations_of(predictor, cases(), floor)


def continuations_of(predictor, cases, floor: float = 0.0):
    """continuations at cases of (context ids, the text's next ids)."""
    for context, truth in cases:
        found = continuation(predictor, context, floor=floor)
        yield found, truth[:len(found.ids)]


def measure(predictor, lines, thresholds=THRESHOLDS, normalised: bool = False,
            found=None) -> Measured:
    """Offer a phrase at every word start of each line and compare it with the line's next
    tokens, case aside. normalised: cut phrases by their length-normalised probability
    (Phrase.cut). found: continuations(predictor, lines) already computed."""
    result = Measured(0, dict.fromkeys(thresholds, 0), dict.fromkeys(thresholds, 0),
                      dict.fromkeys(thresholds, 0), {limit: {} for limit in thresholds})
    floor = 0.0 if normalised else min(thresholds)  # a mean may rise again: no floor
    for whole, truth in (found if found is not None
                         else continuations(predictor, lines, floor)):
        result.boundaries += 1
        for limit in thresholds:
            phrase = whole.cut(limit, normalised)
            if phrase is None:
                continue
            result.offered[limit] += 1
            right = phrase.ids == truth[:len(phrase.ids)]
            result.exact[limit] += right
            result.words[limit] += phrase.words if right else 0
            tally_exact_at(result.exact_at[limit], phrase.ids, truth, phrase.is_word)
    return result


def tally_exact_at(exact_at: dict, offered: list, truth: list, is_word: list) -> None:
    """Count ExactMatch@N for one offered phrase: for each N up to its words, one more phrase
    of N words or more in exact_at[N][0], and in exact_at[N][1] whether its first N words
    (and what comes with them) are the text's (truth: the text's next tokens)."""
    words = 0
    for end, word in enumerate(is_word):
        if word:
            words += 1
            counts = exact_at.setdefault(words, [0, 0])
            counts[0] += 1
            counts[1] += offered[:end + 1] == truth[:end + 1]


@dataclass
class Calibration:
    """The threshold a model's own held-out text calls for, and how phrases fare there."""
    threshold: float
    precision: float | None  # of the phrases offered at it, the share exact (None: none)
    rate: float  # the share of word starts offered one
    reached: bool  # whether some threshold reached the target (else: the highest of the grid)
    best: tuple | None = None  # (threshold, precision) of the most careful measured one


def calibrate(predictor, cases, target: float = TARGET_PRECISION) -> Calibration | None:
    """Measure phrases at word starts, cases of (context ids, the text's next ids), and
    choose the lowest threshold at which `target` of them are exact. Where none is, the
    highest threshold of the grid: phrases only where the model is all but certain, as those
    it was less sure of were not right often enough. None when too few phrases are offered
    at any threshold to tell."""
    measured = measure(predictor, [], CALIBRATION_THRESHOLDS,
                       found=continuations_of(predictor, cases, min(CALIBRATION_THRESHOLDS)))
    careful = measured.most_precise()
    if careful is None:
        return None
    calibrated = measured.calibrated(target)
    limit = max(CALIBRATION_THRESHOLDS) if calibrated is None else calibrated
    precision = measured.precision(limit) if measured.offered[limit] else None
    return Calibration(limit, precision, measured.rate(limit), calibrated is not None,
                       (careful, measured.precision(careful)))
