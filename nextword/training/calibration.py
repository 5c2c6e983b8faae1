"""After the mixture is fitted: the phrase threshold calibrated on the model's held-out text.

A phrase is offered when its probability reaches a threshold (engine/phrases.py); which
threshold gives phrases that are exact TARGET_PRECISION of the time depends on the model and
its text (0.5 on KJV, none at all on the Shakespeare tail, where the model is rarely that sure
of its next words). Training measures it on the held-out lines with the n-gram model before
their n-grams were counted (the file's counts them: on them it would be too sure), and saves
it with the model's training results.

The measure runs the numpy engine at up to MAX_WORD_STARTS word starts spread evenly over
the held-out text, each after its line (as a typist's line is a fresh context), about 1.3 ms
each for KJV's 8,261 words on a 2-core machine (a continuation is followed only while it can
still reach the lowest threshold measured); the text a phrase is compared with lies wholly
in the held-out text. Held-out text with fewer than MIN_WORD_STARTS word starts is too short
to tell, and the engine's default stays.
"""

from __future__ import annotations

import numpy as np

from ..text.vocab import EOL_ID
from .windows import Windows

MAX_WORD_STARTS = 16000  # word starts measured at most
MIN_WORD_STARTS = 500  # fewer than this: no calibration
CONTEXT = 64  # ids of the line before a word start, at most


def held_out_cases(windows: Windows, is_word: np.ndarray,
                   max_word_starts: int | None = None) -> list:
    """(context, truth) token ids at word starts of the held-out windows' targets, spread
    evenly over the held-out text, up to max_word_starts of them (is_word: per id, whether it
    starts a word). The truth is the text's next tokens to the end of its line or to the
    word after the longest phrase, and lies wholly in the held-out text; the context is the
    line before it (its start-of-line token first), at most CONTEXT ids of it."""
    from ..engine.phrases import MAX_WORDS

    max_word_starts = max_word_starts or MAX_WORD_STARTS
    length, ids = windows.sequence_length, windows.ids
    stretches = list(_stretches(np.sort(windows.validation)))
    targets = sum((last - first + 1) * length for first, last in stretches)
    if targets > 3 * max_word_starts:  # read only as many stretches as can be used
        every = targets / (3 * max_word_starts)
        stretches = [stretches[int(i * every)] for i in range(int(len(stretches) / every))]
    cases = []
    for first, last in stretches:
        begin, end = first * length + 1, last * length + length + 1  # targets: begin..end-1
        origin = max(0, begin - CONTEXT)
        text = np.asarray(ids[origin:end]).tolist()
        before = text[:begin - origin]
        line = len(before) - 1 - before[::-1].index(EOL_ID) if EOL_ID in before else -1
        for at in range(begin - origin, end - origin):  # line: the last end of line before at
            if text[at] == EOL_ID:
                line = at
            elif is_word[text[at]]:
                truth = _truth(text, at, is_word, MAX_WORDS)
                if truth is not None:  # else the phrase's text goes on past the held-out text
                    cases.append((text[max(line, 0, at - CONTEXT):at], truth))
    if len(cases) > max_word_starts:
        every = len(cases) / max_word_starts
        cases = [cases[int(i * every)] for i in range(max_word_starts)]
    return cases


def _truth(text: list, at: int, is_word: np.ndarray, words: int) -> list | None:
    """text's tokens from at to its line's end (the end-of-line token included) or to the
    start of its words + 1th word; None where text ends first."""
    seen = 0
    for end in range(at, len(text)):
        token = text[end]
        if token == EOL_ID:
            return text[at:end + 1]
        if is_word[token]:
            seen += 1
            if seen > words:
                return text[at:end]
    return None


def _stretches(windows: np.ndarray) -> list:
    """(first, last) of each run of consecutive window numbers."""
    if not len(windows):
        return []
    breaks = np.flatnonzero(np.diff(windows) != 1)
    return list(zip(windows[np.r_[0, breaks + 1]].tolist(),
                    windows[np.r_[breaks, len(windows) - 1]].tolist()))


def phrase_cases(windows: Windows, vocabulary) -> list:
    """The held-out cases calibrate_phrases measures (held_out_cases), or none where there
    are fewer than MIN_WORD_STARTS."""
    from ..engine.completion import WORD_START

    is_word = np.array([bool(WORD_START.match(token)) for token in vocabulary.tokens])
    cases = held_out_cases(windows, is_word)
    return cases if len(cases) >= MIN_WORD_STARTS else []


def calibrate_phrases(path: str, unseen_table, cases: list, log=print):
    """The phrase Calibration of the model file at path on cases (phrase_cases), measured
    with unseen_table (its n-gram model before the held-out text was counted) if it has one;
    None where no threshold offers enough phrases to tell."""
    from ..engine import phrases
    from ..engine.predictor import Predictor

    predictor = Predictor.load(path)
    if predictor.ngram is not None and unseen_table is not None:
        predictor.ngram = unseen_table
    found = phrases.calibrate(predictor, cases)
    starts = f"{len(cases):,} held-out word starts"
    if found is None:
        log(f"phrases: too few offered at {starts} to calibrate a threshold; the default "
            f"{phrases.DEFAULT_THRESHOLD} stays")
    elif found.reached:
        log(f"phrases: threshold {found.threshold:.2f}, the lowest at which "
            f"{phrases.TARGET_PRECISION:.0%} of the phrases offered at {starts} were exact "
            f"({found.precision:.1%}; offered at {found.rate:.1%} of word starts)")
    else:
        careful, precision = found.best
        log(f"phrases: no threshold gives {phrases.TARGET_PRECISION:.0%} exact phrases at "
            f"{starts} (at most {precision:.1%}, at {careful:.2f}); phrases are offered only "
            f"at {found.threshold:.2f} and above")
    return found
