"""Keystroke savings: how much typing a model's suggestions save, the figure keyboards report.

Savings = 1 - keystrokes used / keystrokes without suggestions (presage's simulator, Onboard's
KSR tool), under one of two conventions:

- "raw" (the default, typist.py): the text typed exactly as written, every character a
  keystroke, capitals and punctuation included, a suggestion taken only when it is the word
  as written; comparable with any keyboard's figure.
- "tokens": the model's tokens typed, lowercased where the model folds case, each token (a
  word or a punctuation mark) then a space: taking "," saves a keystroke no typist spends.
  Kept so that figures measured so before 2026-12-07 can be reproduced. Before each keystroke
  the typist sees the top N suggestions (the next words before the first character, then the
  words that begin with the typed part) and takes the word as soon as it is offered (one
  keystroke; the space after it comes free). The model scores whole batches of lines at once
  (Predictor.score); the typing then needs only each word's rank among the candidates of
  each typed part, so one pass serves every N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ..errors import NextwordError
from ..text.corpus import read_lines
from ..text.vocab import EOL_ID, PAD_ID, SPECIALS, UNK_ID
from .completion import WORD_START
from .sampling import softmax
from .suggestions import read

LINES_PER_BATCH = 32


CONVENTIONS = ("raw", "tokens")


@dataclass
class KeystrokeResult:
    suggestions: int  # how many suggestions the typist saw
    words: int  # words (raw) or tokens (tokens) typed
    keystrokes: int  # keystrokes used with suggestions
    keystrokes_without: int  # raw: every character of every line; tokens: each token and a space
    accepted: int | None = None  # raw: suggestions taken
    case_right: float | None = None  # raw: words offered as the text writes them (case aside)
    phrases: dict | None = None  # raw, with phrases: typist.Typed's phrase figures

    @property
    def savings(self) -> float:
        return 1.0 - self.keystrokes / self.keystrokes_without if self.keystrokes_without else 0.0

    @property
    def savings_with_phrases(self) -> float | None:
        if not self.phrases or not self.keystrokes_without:
            return None
        return 1.0 - self.phrases["keystrokes"] / self.keystrokes_without


def typed_units(vocabulary, tokens: list[str]) -> tuple[list[str], list[int]]:
    """What the typist types and the model's id for each: a token, or, for a word the
    vocabulary spells, its characters one by one (an unknown unit keeps its own text)."""
    units, ids = [], []
    for token in tokens:
        pieces = vocabulary.pieces(token)
        parts = [token] if len(pieces) == 1 else list(token)
        units += parts
        ids += [vocabulary.index[piece] for piece in pieces]
    return units, ids


def model_distributions(predictor) -> Callable[[np.ndarray], np.ndarray]:
    """(lines, time) input ids, each line from a fresh state -> next-id probabilities."""
    def distributions(inputs: np.ndarray) -> np.ndarray:
        logits, _ = predictor.score(inputs, predictor.initial_state(len(inputs)))
        probabilities = softmax(logits)
        probabilities[..., list(predictor.blocked)] = 0.0  # never offered
        return probabilities
    return distributions


def _ranks(row: np.ndarray, target: int, word: str, prefixes, limit: int) -> list[int]:
    """The target's rank among the suggestions after 0, 1, ... typed characters.

    Stops at the first rank below `limit` (the word is offered there to every typist).
    Ties go to the lower id, as in Predictor.complete.
    """
    ranks = []
    p = row[target]
    every_word = np.arange(len(SPECIALS), len(row))  # before the first keystroke: next words
    # Punctuation is offered only as a next word: complete() does not complete it.
    typeable = len(word) if WORD_START.match(word) else 1
    for typed in range(typeable):
        ids = prefixes.candidates(word[:typed]) if typed else every_word
        scores = row[ids]
        above = int((scores > p).sum()) + int(((scores == p) & (ids < target)).sum())
        ranks.append(above)
        if above < limit:
            break
    return ranks


class PassingOver:
    """nextword as a keyboard that remembers, as the page does, the words it completed the
    word being typed with, from its first letter on, and does not show them again for it
    (Predictor.suggest's `passed`): a typist who typed on past a word did not want it. The
    next words shown before the word's first letter are not counted as passed over (a typist
    may start a word without looking; presage counts them too, which measured 0.18 points
    more on 300 KJV verses). Called as suggest(text, k); what was shown before is rebuilt
    from its own answers, so each list depends on the text and k alone. `reset()` between
    lines (the recent-words cache changes)."""

    def __init__(self, predictor, correct: bool = True, phrases: bool = False):
        self.predictor, self.correct, self.phrases = predictor, correct, phrases
        self.reset()

    def reset(self) -> None:
        self.shown: dict = {}  # (text, k) -> the list, for the word being typed
        self.base = None  # the text before that word

    def __call__(self, text: str, k: int) -> list:
        typed = read(self.predictor, text).typed
        start = len(text) - len(typed) if typed else len(text)
        if text[:start] != self.base:  # another word: what was shown for this one matters
            self.shown, self.base = {}, text[:start]
        return self._shown(text, k, start)

    def _shown(self, text: str, k: int, start: int) -> list:
        found = self.shown.get((text, k))
        if found is None:
            passed = {s.word for end in range(start + 1, len(text))
                      for s in self._shown(text[:end], k, start) if s.kind != "phrase"}
            found = self.predictor.suggest(text, k, self.correct, self.phrases, passed)
            self.shown[text, k] = found
        return found


def simulate(predictor, files: Iterable[str], suggestions: Iterable[int] = (3,),
             on_bytes=None, convention: str = "raw", correct: bool = True,
             suggest=None, phrases: bool = False,
             pass_over: bool = True) -> dict[int, KeystrokeResult]:
    """Type the text of `files` with each number of suggestions; returns {N: result}.

    convention: "raw" or "tokens" (see above). correct: the keyboard corrects typos (raw:
    an autocorrection of a word typed right costs the keystroke that undoes it). suggest:
    (text, k) -> suggestion records, another keyboard to type with (raw; default the
    predictor's). The short-range cache starts empty and remembers the lines typed so far,
    as in one typing session. phrases (raw): the keyboard offers phrases too, and the result
    says how often, how far they were right, and what taking them saves. pass_over (raw):
    the keyboard does not show again, while a word is typed, the completions it showed for
    it (PassingOver, as the page does); False shows the likeliest every time.
    """
    counts = sorted(set(int(n) for n in suggestions))
    if not counts or counts[0] < 1:
        raise NextwordError(f"--suggestions must be at least 1, got {counts}")
    if convention == "tokens":
        return simulate_tokens(predictor, files, counts, on_bytes)
    if convention != "raw":
        raise NextwordError(f"unknown keystroke convention {convention!r}; choose one of "
                            f"{', '.join(CONVENTIONS)}")
    from ..text.corpus import iter_blocks
    from ..text.tokenize import surface_tokens
    from .typist import Typist

    config = predictor.config
    recent = predictor.recent
    predictor.recent = recent.emptied()
    try:
        keyboard = PassingOver(predictor, correct, phrases) if pass_over and not suggest \
            else None
        typist = Typist(suggest or keyboard or (lambda text, k: predictor.suggest(
                            text, k, correct, phrases)),
                        lambda line: surface_tokens(line, tokenizer=config.tokenizer), counts,
                        phrases)
        typed = None
        for path in files:
            for block in iter_blocks(path, config.encoding, on_bytes):
                for line in block.split("\n"):
                    if keyboard is not None:
                        keyboard.reset()
                    typed = typist.type_lines([line], typed)
                    if line.strip():  # what the user wrote last is what they use next
                        predictor.recent.add(predictor.encode(line)[1:])
    finally:
        predictor.recent = recent
    if typed is None or not typed.words:
        raise NextwordError("no words to type in " + ", ".join(files))
    return {n: KeystrokeResult(n, typed.words, typed.keystrokes[n], typed.characters,
                               typed.accepted[n], typed.case_right,
                               _phrase_figures(typed, n) if phrases else None)
            for n in counts}


def _phrase_figures(typed, n: int) -> dict:
    return {"keystrokes": typed.with_phrases[n], "taken": typed.phrases_taken[n],
            "words taken": typed.phrase_words_taken[n], "offered": typed.phrases_offered,
            "offer rate": typed.phrase_rate, "precision": typed.phrase_precision,
            "exact match": {size: typed.exact_match(size) for size in range(1, 6)}}


def simulate_tokens(predictor, files: Iterable[str], suggestions: Iterable[int] = (3,),
                    on_bytes=None, distributions=None) -> dict[int, KeystrokeResult]:
    """Type the text of `files` with each number of suggestions under the tokens convention;
    returns {N: result}.

    distributions: (lines, time) ids -> (lines, time, vocab) probabilities, by default the
        predictor's (benchmarks plug in other keyboards). The short-range cache (with the
        predictor's settings) starts empty and remembers the lines typed so far, as in one
        typing session. Only the model's words are offered, as when this convention's figures
        were first measured: not the spelling list's (text/spelling.py), which the raw
        convention's keyboard completes too.
    """
    recent = predictor.recent.emptied()
    blocked = predictor.blocked
    suggestions = sorted(set(int(n) for n in suggestions))
    if not suggestions or suggestions[0] < 1:
        raise NextwordError(f"--suggestions must be at least 1, got {suggestions}")
    distributions = distributions or model_distributions(predictor)
    prefixes = predictor.prefixes
    used = {n: 0 for n in suggestions}
    without = words = 0
    config = predictor.config
    lines = read_lines(files, config.lowercase, config.encoding, on_bytes, config.tokenizer)
    while True:
        batch = [typed_units(predictor.vocabulary, line)
                 for _, line in zip(range(LINES_PER_BATCH), lines)]
        if not batch:
            break
        batch, ids = [units for units, _ in batch], [line_ids for _, line_ids in batch]
        width = max(map(len, ids))
        inputs = np.full((len(batch), width), PAD_ID, dtype=np.int32)
        inputs[:, 0] = EOL_ID  # each line starts from a fresh state, after a start of line
        for row, line_ids in enumerate(ids):
            inputs[row, 1:len(line_ids)] = line_ids[:-1]
        probabilities = distributions(inputs)
        for row, (line, line_ids) in enumerate(zip(batch, ids)):
            for position, (word, target) in enumerate(zip(line, line_ids)):
                cost = len(word) + 1
                without += cost
                words += 1
                if target == UNK_ID:  # never offered: typed in full
                    for n in suggestions:
                        used[n] += cost
                    continue
                before = [i for i in line_ids[:position] if i not in blocked] if blocked \
                    else line_ids[:position]
                ranks = _ranks(recent.mix(probabilities[row, position], before),
                               target, word, prefixes, suggestions[0])
                for n in suggestions:
                    offered = next((typed for typed, rank in enumerate(ranks) if rank < n), None)
                    used[n] += cost if offered is None else offered + 1
            recent.add([i for i in line_ids if i not in blocked])  # never offered by the cache
    if not words:
        raise NextwordError("no words to type in " + ", ".join(files))
    return {n: KeystrokeResult(n, words, used[n], without) for n in suggestions}
