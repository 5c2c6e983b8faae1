"""What a keyboard shows after every keystroke: next words, completions and corrections, each in
the case the text needs.

`suggest(predictor, text, k)` reads the text as written. Inside a word it offers the
vocabulary words that begin with the typed part (kind "completion"), and, when none does or
the model finds them all very unlikely there, the words the typed part may have meant
(kind "correction": correction.py's noisy channel, P(word | context) x P(typed | word)).
After a word and a space it offers the next words (kind "next"), and first, when the finished
word is unknown or very unlikely, its likeliest correction; a correction the engine is
confident in carries `autocorrect` (a keyboard applies it on space, and the next words then
follow the corrected word). Words the model never saw in the context are read as the unknown
token: every text gets an answer. Words come back as written (text/casing.py).

Never autocorrected: a word with digits, an address (URL, e-mail), a word in capitals, a word
the user taught the model (`learn`); and the typed text stays a possible answer (it is scored
with the candidates, and an autocorrection is undone by Backspace on the page).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import regex

from ..text.casing import begins_sentence
from ..text.tokenize import fold, surface_tokens
from ..text.vocab import EOL_ID, PAD_ID, SPECIALS, UNK_ID
from . import correction
from .completion import WORD_START

ADDRESS = regex.compile(r"[@/\\]|\.\w|^www|://")
CORRECT_BELOW = 1e-4  # a word (or the words a typed part begins) this unlikely may be a typo
AUTOCORRECT_AT = 0.6  # a correction this likely (against the typed word and the others) is applied
AUTOCORRECT_KNOWN_AT = 0.95  # ... and against a typed word that is a known word
CORRECTIONS_SHOWN = 1  # corrections of a finished word shown before the next words


@dataclass
class Suggestion:
    """One suggestion: the word as it is to be written, and what it is."""
    word: str
    probability: float
    kind: str  # "next", "completion" or "correction"
    replace: int = 0  # characters at the end of the text the word replaces
    autocorrect: bool = False  # a keyboard applies it on space

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Reading:
    """How suggest reads a text: the context before the word being typed or just finished."""
    written: list  # tokens as written
    folded: list  # as the model reads them
    typed: str | None  # the word being typed, as written (None: at a word boundary)
    finished: str | None  # at a boundary: the word just finished, as written, if any
    trailing: int  # whitespace characters after the finished word
    chunk: str = ""  # the last run of text between spaces (a word, or an address around it)


def read(predictor, text: str) -> Reading:
    config = predictor.config
    written = surface_tokens(text, tokenizer=config.tokenizer)
    folded = fold(written) if config.lowercase else written
    chunks = text.split()
    chunk = chunks[-1] if chunks else ""
    if written and not text[-1].isspace() and WORD_START.match(written[-1]):
        return Reading(written[:-1], folded[:-1], written[-1], None, 0, chunk)
    finished = None
    if written and WORD_START.match(written[-1]) and text[-1].isspace():
        finished = written[-1]
    return Reading(written, folded, None, finished, len(text) - len(text.rstrip()), chunk)


def suggest(predictor, text: str, k: int = 5, correct: bool = True) -> list[Suggestion]:
    """Up to k suggestions for what comes at the end of text; see the module's docstring."""
    reading = read(predictor, text)
    if reading.typed is not None:
        return _completing(predictor, reading, k, correct)
    suggestions = []
    context_written, context = reading.written, reading.folded
    if correct and reading.finished is not None:
        fixed = _corrections(predictor, context[:-1], reading.written[:-1], reading.finished,
                             CORRECTIONS_SHOWN, chunk=reading.chunk)
        if fixed and not fixed[0].autocorrect and reading.folded[-1] in predictor.vocabulary.index:
            fixed = []  # a known word the engine is not sure of: the next words keep the room
        for suggestion in fixed:
            suggestion.replace = len(reading.finished) + reading.trailing
        if fixed and fixed[0].autocorrect:  # the next words follow the corrected word
            context = context[:-1] + [fixed[0].word.lower() if predictor.config.lowercase
                                      else fixed[0].word]
            context_written = context_written[:-1] + [fixed[0].word]
        suggestions += fixed[:k]
    if len(suggestions) < k:
        suggestions += next_words(predictor, context, context_written, k - len(suggestions))
    return suggestions


def _distribution(predictor, context: list[str]) -> tuple[np.ndarray, list[int]]:
    """The next-word distribution after the context tokens (the recent words mixed in)."""
    ids = [EOL_ID] + predictor.vocabulary.encode(context)
    return predictor.recent.mix(predictor.distribution_of(ids), ids), ids


def next_words(predictor, context, context_written, k) -> list[Suggestion]:
    """The k likeliest next words after the context tokens (folded, and as written)."""
    probabilities, _ = _distribution(predictor, context)
    start = begins_sentence(context_written)
    forms = predictor.forms
    return [Suggestion(forms.cased(word, start=start) if predictor.config.lowercase else word,
                       p, "next") for word, p in predictor.best(probabilities, k)]


def _completing(predictor, reading: Reading, k: int, correct: bool) -> list[Suggestion]:
    config = predictor.config
    typed = reading.typed.lower() if config.lowercase else reading.typed
    probabilities, _ = _distribution(predictor, reading.folded)
    candidates = predictor.prefixes.candidates(typed)
    # A word learned by another thread since the distribution was computed lies beyond it.
    candidates = candidates[candidates < len(probabilities)]
    if predictor.blocked:
        candidates = candidates[~np.isin(candidates, list(predictor.blocked))]
    exact = probabilities[candidates].astype(np.float64)
    fuzzy = []
    if correct and _correctable(predictor) and float(exact.sum()) < CORRECT_BELOW:
        fuzzy = [c for c in predictor.speller.candidates(typed, completing=True)
                 if c.word not in predictor.blocked and c.word < len(probabilities)]
    if not len(candidates) and not fuzzy:
        return []
    ids = np.concatenate([candidates, np.array([c.word for c in fuzzy], dtype=np.int64)])
    scores = np.concatenate([exact * math.exp(correction.NO_ERROR),
                             probabilities[[c.word for c in fuzzy]].astype(np.float64)
                             * np.exp([c.channel for c in fuzzy])]) if fuzzy else exact
    kinds = ["completion"] * len(candidates) + ["correction"] * len(fuzzy)
    best = _top(ids, scores, k)
    total = float(scores.sum()) or 1.0
    automatic = None
    if fuzzy:  # what a space would do to this typed word (as for a finished word)
        fixed = _corrections(predictor, reading.folded, reading.written, reading.typed, 1,
                             probabilities, reading.chunk)
        automatic = fixed[0].word if fixed and fixed[0].autocorrect else None
    out = []
    forms = predictor.forms
    for i in best:
        word = predictor.vocabulary.tokens[ids[i]]
        shown = forms.cased(word, typed=reading.typed) if config.lowercase else word
        out.append(Suggestion(shown, float(scores[i]) / total, kinds[i], len(reading.typed),
                              kinds[i] == "correction" and shown == automatic))
    typed_id = predictor.vocabulary.index.get(typed)
    if fuzzy and k > 1 and reading.typed not in [s.word for s in out] \
            and typed_id not in predictor.blocked:  # a blocked word is never shown
        # The typed text stays a possible answer: last, to keep it as typed.
        literal = Suggestion(reading.typed, 0.0, "completion", len(reading.typed))
        out = out[:k - 1] + [literal]
    return out


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, a word once (its best), ties to the lower id."""
    order = np.lexsort((ids, -scores))
    seen, best = set(), []
    for i in order:
        if ids[i] not in seen:
            seen.add(ids[i])
            best.append(i)
            if len(best) == k:
                break
    return np.array(best, dtype=np.int64)


def _correctable(predictor) -> bool:
    """Corrections need letters a keyboard types: not a model that spells unspaced text."""
    return not predictor.config.spells


def guarded(predictor, word: str, chunk: str = "") -> bool:
    """Whether `word` (as written; `chunk`: the text between spaces around it) must never be
    autocorrected: digits, an address, capitals, or a word the user taught the model."""
    folded = word.lower() if predictor.config.lowercase else word
    chunk = chunk or word
    return (any(c.isdigit() for c in chunk) or bool(ADDRESS.search(chunk))
            or (len(word) > 1 and word.isupper())
            or predictor.vocabulary.index.get(folded, -1) >= predictor.base_size)


def _corrections(predictor, context: list, context_written: list, word: str, k: int,
                 probabilities: np.ndarray | None = None, chunk: str = "") -> list[Suggestion]:
    """Up to k corrections of `word` (as written, a whole word) after the context tokens, the
    likeliest first; the first carries autocorrect when the engine is confident in it. Empty
    when the word is likely enough where it stands, or cannot be corrected."""
    config = predictor.config
    if not _correctable(predictor):
        return []
    folded = word.lower() if config.lowercase else word
    if probabilities is None:
        probabilities, _ = _distribution(predictor, context)
    index = predictor.vocabulary.index.get(folded)
    known = index is not None and index not in SPECIALS_IDS and index < len(probabilities)
    literal = float(probabilities[index]) if known else \
        float(probabilities[UNK_ID]) * math.exp(correction.LETTER * len(folded))
    if known and literal >= CORRECT_BELOW:
        return []
    found = [c for c in predictor.speller.candidates(folded, completing=False)
             if c.word not in predictor.blocked and c.word < len(probabilities)]
    if not found:
        return []
    ids = np.array([c.word for c in found], dtype=np.int64)
    scores = probabilities[ids].astype(np.float64) * np.exp([c.channel for c in found])
    total = float(scores.sum()) + literal * math.exp(correction.NO_ERROR)
    best = _top(ids, scores, k)
    threshold = AUTOCORRECT_KNOWN_AT if known else AUTOCORRECT_AT
    forms = predictor.forms
    out = []
    for rank, i in enumerate(best):
        token = predictor.vocabulary.tokens[ids[i]]
        posterior = float(scores[i]) / total
        out.append(Suggestion(forms.cased(token, typed=word) if config.lowercase else token,
                              posterior, "correction", len(word),
                              rank == 0 and posterior >= threshold
                              and not guarded(predictor, word, chunk)))
    return out


SPECIALS_IDS = {PAD_ID, UNK_ID, EOL_ID}
assert len(SPECIALS) == len(SPECIALS_IDS)


def corrections(predictor, text: str, word: str, k: int = 3) -> list[Suggestion]:
    """Up to k corrections of `word` typed after `text`, the likeliest first (the typo
    benchmark asks for them whatever their likelihood): empty when the engine would not
    correct it."""
    config = predictor.config
    written = surface_tokens(text, tokenizer=config.tokenizer)
    folded = fold(written) if config.lowercase else written
    return _corrections(predictor, folded, written, word, k)
