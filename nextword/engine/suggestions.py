"""What a keyboard shows after every keystroke: next words, completions and corrections, each in
the case the text needs.

`suggest(predictor, text, k)` reads the text as written. Inside a word it offers the
vocabulary words that begin with the typed part (kind "completion"; from three letters also
the spelling list's words the model never saw, text/spelling.py), and, when none does or
the model finds them all very unlikely there, the words the typed part may have meant
(kind "correction": correction.py's noisy channel, P(word | context) x P(typed | word));
a typed part that is itself a word has the words one edit from it ranked with its
completions by the same channel ("god" may be "good").
After a word and a space it offers the next words (kind "next"; no punctuation: a mark is
typed, never taken from a list), and first, when the finished word is unknown (or very
unlikely and the engine sure of another), its likeliest correction; a correction the engine is
confident in carries `autocorrect` (a keyboard applies it on space, and the next words then
follow the corrected word). Words the model never saw in the context are read as the unknown
token: every text gets an answer. Words come back as written (text/casing.py).

Inside a word, the words the keyboard showed for it that the typist typed on past (`passed`)
are not shown again for it, as presage's REPEAT_SUGGESTIONS = no does: the room goes to the
next likeliest (the page keeps that list; keystrokes.PassingOver does for the keystroke
benchmark).

Never autocorrected: a word with digits, an address (URL, e-mail), a word in capitals, a word
the user taught the model (`learn`); and the typed text stays a possible answer (it is scored
with the candidates, and an autocorrection is undone by Backspace on the page).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import regex

from ..text import spelling
from ..text.tokenize import fold, surface_tokens
from ..text.vocab import EOL_ID, PAD_ID, SPECIALS, UNK_ID
from . import correction
from . import phrases as phrase_module
from .completion import WORD_START

ADDRESS = regex.compile(r"[@/\\]|\.\w|^www|://")
CORRECT_BELOW = 1e-4  # a word (or the words a typed part begins) this unlikely may be a typo
AUTOCORRECT_AT = 0.5  # a correction this likely (against the typed word and the others) is applied
AUTOCORRECT_KNOWN_AT = 0.95  # ... and against a typed word that is a known word
CORRECTIONS_SHOWN = 1  # corrections of a finished word shown before the next words
CASE_FLOOR_CAPITAL = 0.05  # a capitalised typo of a word the corpus writes lowercase
CASE_FLOOR_LOWER = 0.3  # a lowercase typo of a name


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


def suggest(predictor, text: str, k: int = 5, correct: bool = True,
            phrases: bool = False, passed=()) -> list[Suggestion]:
    """Up to k suggestions for what comes at the end of text; see the module's docstring.
    phrases: also a phrase (kind "phrase", after the k words) when one passes the model's
    threshold (phrases.py). passed: words passed over for the word being typed (any case)."""
    reading = read(predictor, text)
    if reading.typed is not None:
        gone = {word.casefold() for word in passed} - {reading.typed.casefold()}
        found = _completing(predictor, reading, k, correct, gone)
        if phrases and found and found[0].kind == "completion" \
                and found[0].probability >= phrase_module.NEARLY_CERTAIN:
            first = predictor.vocabulary.index.get(_folded(predictor, found[0].word))
            if first is not None:
                found += _phrase(predictor, reading.folded, reading.written,
                                 (first, found[0].probability, reading.typed),
                                 len(reading.typed))
        return found
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
            context = context[:-1] + [_folded(predictor, fixed[0].word)]
            context_written = context_written[:-1] + [fixed[0].word]
        suggestions += fixed[:k]
    if len(suggestions) < k:
        suggestions += next_words(predictor, context, context_written, k - len(suggestions))
    if phrases:
        suggestions += _phrase(predictor, context, context_written)
    return suggestions


def _phrase(predictor, context, written, typed=None, replace: int = 0) -> list[Suggestion]:
    """[the phrase offered after the context], or []."""
    found = phrase_module.offered(predictor, context, written, typed)
    if found is None:
        return []
    return [Suggestion(found[0], found[1], "phrase", replace)]


def _folded(predictor, word: str) -> str:
    """A word as the model reads it: lowercased when the model folds case."""
    return word.lower() if predictor.config.lowercase else word


def _distribution(predictor, context: list[str]) -> np.ndarray:
    """The next-word distribution after the context tokens (the recent words mixed in)."""
    return predictor.mixed_distribution(predictor.encode_tokens(context))


def next_words(predictor, context, context_written, k, words_only=True) -> list[Suggestion]:
    """The k likeliest next words after the context tokens (folded, and as written).
    words_only: no punctuation marks (a keyboard's; `predict` lists every token)."""
    probabilities = _distribution(predictor, context)
    start = predictor.forms.begins_here(context_written)
    after = context_written[-1] if context_written else ""
    forms = predictor.forms
    return [Suggestion(forms.cased(word, start=start, after=after)
                       if predictor.config.lowercase else word,
                       p, "next") for word, p in predictor.best(probabilities, k,
                                                                words_only=words_only)]


def _completing(predictor, reading: Reading, k: int, correct: bool,
                gone: set = frozenset()) -> list[Suggestion]:
    """Completions (and corrections) of the word being typed; `gone`: words (casefolded)
    passed over for it, never offered."""
    typed = _folded(predictor, reading.typed)
    probabilities = _distribution(predictor, reading.folded)
    candidates = predictor.prefixes.candidates(typed)
    # A word learned by another thread since the distribution was computed lies beyond it.
    candidates = candidates[candidates < len(probabilities)]
    hidden = _ids_of(predictor, gone) | predictor.blocked if gone else predictor.blocked
    if hidden:
        candidates = candidates[~np.isin(candidates, list(hidden))]
    exact = probabilities[candidates].astype(np.float64)
    listed = _from_list(predictor, probabilities, predictor.speller.listed_beginning(
        typed, k + len(gone) + len(predictor.blocked_outside)), correction.NO_ERROR, gone)
    if not (correct and _correctable(predictor) and float(exact.sum()) < CORRECT_BELOW):
        if not len(candidates) and not listed:
            return []
        scores = exact * math.exp(correction.NO_ERROR)
        found = [(float(scores[i]), int(candidates[i]), "completion")
                 for i in _top(candidates, scores, k)]
        found += [(score, token, "completion") for token, score in listed.items()]
        near = _near_a_word(predictor, typed, probabilities, hidden) if correct else {}
        shown = {word for _, word, _ in found}
        found += [(score, word, "correction") for word, score in near.items()
                  if word not in shown]
        total = float(scores.sum()) + sum(listed.values()) + sum(near.values()) or 1.0
        found.sort(key=lambda entry: (-entry[0], isinstance(entry[1], str)))
        return [_written(predictor, reading, word, score / total, kind)
                for score, word, kind in found[:k]]
    # The typed part names no likely word: what it may have meant is scored with the words
    # it begins, in Python (a handful of candidates: numpy's call costs would dominate).
    near = predictor.speller.candidates(typed, completing=True)
    size, blocked, p = len(probabilities), hidden, probabilities
    ok = math.exp(correction.NO_ERROR)
    scored: dict = {}  # word -> (score, kind)
    for word, score in zip(candidates.tolist(), (exact * ok).tolist()):
        scored[word] = (score, "completion")
    for token, score in listed.items():  # keyed by the word: not in the vocabulary
        scored[token] = (score, "completion")
    whole = {}
    for found, is_whole in ((near.whole, True), (near.begun, False)):
        for word, cost in found.items():
            if word < size and word not in blocked:
                score = float(p[word]) * math.exp(cost)
                if is_whole:
                    whole[word] = score
                if score > scored.get(word, (-1.0,))[0]:
                    scored[word] = (score, "correction")
    if not scored:
        return []
    automatic = None
    if whole:  # what a space would do to this typed word (as for a finished word)
        literal, known = _literal(predictor, typed, probabilities)
        if not (known and literal >= CORRECT_BELOW):
            first = max(whole, key=whole.get)
            posterior = whole[first] / (sum(whole.values()) + literal * ok)
            if _sure(predictor, reading.typed, reading.chunk, posterior, known):
                automatic = first
    total = sum(score for score, _ in scored.values()) or 1.0
    # ties: the model's words (by id) before the list's (by spelling); the two never compared
    ranked = sorted(scored.items(),
                    key=lambda item: (-item[1][0], type(item[0]) is str, item[0]))[:k]
    out = [_written(predictor, reading, word, score / total, kind,
                    kind == "correction" and word == automatic)
           for word, (score, kind) in ranked]
    typed_id = predictor.vocabulary.index.get(typed)
    if k > 1 and reading.typed not in [s.word for s in out] \
            and typed_id not in blocked:  # a blocked word is never shown
        # The typed text stays a possible answer: last, to keep it as typed, with the chance
        # that it was meant as typed (an unknown word's: the unknown token's, spread).
        if typed_id in scored:
            chance = scored[typed_id][0] / total
        else:
            chance = _literal(predictor, typed, probabilities)[0] * ok
            chance /= total + chance
        out = out[:k - 1] + [Suggestion(reading.typed, chance, "completion", len(reading.typed))]
    return out


def _near_a_word(predictor, typed: str, probabilities: np.ndarray, hidden) -> dict:
    """When the typed part (folded) is itself a word of PREFIX_FROM letters or more: the
    words one edit from it (id -> P(word | context) x P(typed | word)), ranked with its
    completions by the same noisy channel, as a phone keyboard offers "good" for "god" in "a
    god man". Nothing for a shorter part, or where the model cannot correct."""
    if len(typed) < correction.PREFIX_FROM or typed not in predictor.vocabulary.index \
            or not _correctable(predictor):
        return {}
    near = predictor.speller.candidates(typed, completing=True, prefixes=False).whole
    size = len(probabilities)
    return {word: float(probabilities[word]) * math.exp(cost) for word, cost in near.items()
            if word < size and word not in hidden}


def _ids_of(predictor, words: set) -> set:
    """The vocabulary ids of words (casefolded): every token that folds to one of them."""
    if not words:
        return set()
    index = predictor.vocabulary.index
    found = {index[word] for word in words if word in index}
    if not predictor.config.lowercase:  # a cased vocabulary: "Moses" passed is "moses" too
        found |= {i for token, i in index.items() if token.casefold() in words}
    return found


def _from_list(predictor, probabilities: np.ndarray, found: dict, log_weight: float = 0.0,
               gone: set = frozenset()) -> dict:
    """The spelling list's words the speller found (word -> log of its share of the unknown
    token, plus log P(typed | word) for a correction) -> their score: the unknown token's
    probability times exp(that + log_weight). Blocked words and those in `gone` (passed over,
    casefolded) left out."""
    if not found:
        return {}
    weight = float(probabilities[UNK_ID]) * math.exp(log_weight)
    hidden = predictor.blocked_outside
    if gone:
        hidden = hidden | {token for token in found if token.casefold() in gone}
    return {token: weight * math.exp(value) for token, value in found.items()
            if token not in hidden}


def _written(predictor, reading: Reading, word: int | str, probability: float, kind: str,
             autocorrect: bool = False) -> Suggestion:
    """The suggestion of vocabulary id `word` (or a word of the spelling list outside the
    vocabulary) for the word being typed, as it is written."""
    token = predictor.vocabulary.tokens[word] if isinstance(word, int) else word
    shown = predictor.forms.cased(token, typed=reading.typed,
                                  start=predictor.forms.begins_here(reading.written),
                                  after=reading.written[-1] if reading.written else "") \
        if predictor.config.lowercase else token
    return Suggestion(shown, probability, kind, len(reading.typed), autocorrect)


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
    autocorrected: digits, an address, capitals, a word the user taught the model, or a word
    outside the vocabulary that the spelling list knows (text/spelling.py)."""
    folded = _folded(predictor, word)
    chunk = chunk or word
    index = predictor.vocabulary.index.get(folded)
    return (any(c.isdigit() for c in chunk) or bool(ADDRESS.search(chunk))
            or (len(word) > 1 and word.isupper())
            or (index is not None and index >= predictor.base_size)
            or (index is None and spelling.spelled_right(word)))


def _corrections(predictor, context: list, context_written: list, word: str, k: int,
                 probabilities: np.ndarray | None = None, chunk: str = "",
                 alternatives: bool = False) -> list[Suggestion]:
    """Up to k corrections of `word` (as written, a whole word) after the context tokens, the
    likeliest first; the first carries autocorrect when the engine is confident in it. Empty
    when the word is likely enough where it stands, or cannot be corrected; with
    `alternatives`, a known word is ranked with the words it may have meant instead (kind
    "completion" for it), and the word itself is never autocorrected."""
    config = predictor.config
    if not _correctable(predictor):
        return []
    folded = _folded(predictor, word)
    if probabilities is None:
        probabilities = _distribution(predictor, context)
    literal, known = _literal(predictor, folded, probabilities)
    likely = known and literal >= CORRECT_BELOW
    if likely and not alternatives:
        return []
    near = predictor.speller.candidates(folded, completing=False).whole
    ids = np.fromiter(near, np.int64, len(near))
    usable = _usable(predictor, ids, probabilities)
    ids = ids[usable]
    scores = probabilities[ids].astype(np.float64) * np.exp(
        np.fromiter(near.values(), np.float64, len(near))[usable])
    start = predictor.forms.begins_here(context_written)
    if config.lowercase:  # how the word was typed says which words it may be
        scores *= _case_fits(predictor, ids, word, start)
    listed = _from_list(predictor, probabilities, predictor.speller.listed(folded))
    if not len(ids) and not listed:
        return []
    as_typed = literal * math.exp(correction.NO_ERROR)
    # (score, vocabulary words before listed ones on a tie, id, token), the likeliest first
    ranked = sorted([(float(score), 0, int(i), predictor.vocabulary.tokens[i])
                     for i, score in zip(ids, scores)]
                    + [(score, 1, 0, token) for token, score in listed.items()]
                    + ([(as_typed, 0, -1, folded)] if alternatives and known else []),
                    key=lambda entry: (-entry[0], *entry[1:]))[:k]
    total = float(scores.sum()) + sum(listed.values()) + as_typed
    sure = not likely and ranked[0][2] >= 0 \
        and _sure(predictor, word, chunk, ranked[0][0] / total, known)
    forms, after = predictor.forms, context_written[-1] if context_written else ""
    return [Suggestion(word if i < 0 else forms.cased(token, typed=word, start=start, after=after)
                       if config.lowercase else token,
                       score / total, "completion" if i < 0 else "correction", len(word),
                       rank == 0 and sure)
            for rank, (score, _, i, token) in enumerate(ranked)]


def _usable(predictor, words: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Which candidate words may be offered: not blocked, and known to the distribution (a
    word learned by another thread since it was computed lies beyond it)."""
    usable = words < len(probabilities)
    if predictor.blocked:
        usable &= ~np.isin(words, list(predictor.blocked))
    return usable


def _case_fits(predictor, ids: np.ndarray, word: str, start: bool) -> np.ndarray:
    """For each candidate, how well the typed word's case fits how the corpus writes it: a
    capital away from a sentence's start points to a name ("Sau" is "Saul", not "say"); a
    lowercase word weighs less against one (names are typed lowercase often enough)."""
    if start or not word[:1].isalpha() or (len(word) > 1 and word.isupper()):
        return np.ones(len(ids))
    capital = word[:1].isupper()
    fits = []
    for token in (predictor.vocabulary.tokens[i] for i in ids):
        forms = predictor.forms.forms.get(token) or [(token, 1)]
        total = sum(count for _, count in forms)
        share = sum(count for form, count in forms if form[:1].isupper()) / total
        fits.append(max(share, CASE_FLOOR_CAPITAL) if capital
                    else max(1.0 - share, CASE_FLOOR_LOWER))
    return np.array(fits)


def _literal(predictor, folded: str, probabilities: np.ndarray) -> tuple[float, bool]:
    """(P(the word as typed | context), whether it is a known word): an unknown word is the
    unknown token's probability spread over strings of its length."""
    index = predictor.vocabulary.index.get(folded)
    known = index is not None and index not in SPECIALS_IDS and index < len(probabilities)
    if known:
        return float(probabilities[index]), True
    return float(probabilities[UNK_ID]) * math.exp(correction.LETTER * len(folded)), False


def _sure(predictor, word: str, chunk: str, posterior: float, known: bool) -> bool:
    """Whether a correction this likely of `word` is applied on space."""
    threshold = AUTOCORRECT_KNOWN_AT if known else AUTOCORRECT_AT
    return posterior >= threshold and not guarded(predictor, word, chunk)


SPECIALS_IDS = {PAD_ID, UNK_ID, EOL_ID}
assert len(SPECIALS) == len(SPECIALS_IDS)


def corrections(predictor, text: str, word: str, k: int = 3) -> list[Suggestion]:
    """Up to k words `word` typed after `text` may have meant, the likeliest first (what a
    keyboard offers for a word tapped again; the typo benchmark asks for them whatever their
    likelihood). A known word is ranked with them, as typed (kind "completion"): "god" may
    be "good" where "good" is far likelier. Empty when nothing near it is a word."""
    config = predictor.config
    written = surface_tokens(text, tokenizer=config.tokenizer)
    folded = fold(written) if config.lowercase else written
    return _corrections(predictor, folded, written, word, k, alternatives=True)
