"""What a user changes in a loaded model: words learned and words blocked.

`learn` counts the user's text into the user layer (userlayer.py: new words join the
vocabulary, every n-gram is counted, the mixing weights are refitted) without gradient
training; `forget` blocks words so that they are never suggested. Each change is also noted
in `predictor.changes`, so that saving (sharing.py) can replay it on a file another process
wrote meanwhile. Predictor's methods of the same names call these.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..errors import NextwordError
from ..ngram.mixture import histories as ngram_histories
from ..text.casing import SurfaceForms, count_forms
from ..text.tokenize import fold, surface_tokens
from ..text.vocab import EOL_ID, PAD_ID, SPECIALS, Vocabulary
from . import sampling
from .userlayer import UserLayer

USER_ORDER = 5  # the user layer's n-gram order when the model has no n-gram model of its own
MAX_LEARNED_WORDS = 100_000  # new words a user layer takes (each costs every distribution 4 B)
STATS_PER_LEARN = 10_000  # positions of a learned text scored to fit the user layer's weights


def word_id(predictor, word: str) -> int:
    tokens = predictor.tokenize(word)
    if len(tokens) != 1:
        raise NextwordError(f"{word!r} is {len(tokens)} tokens for this model, not one word; "
                            "name the words one by one")
    if tokens[0] not in predictor.vocabulary.index or tokens[0] in SPECIALS:
        raise NextwordError(f"{word!r} is not in the model's vocabulary, so it is never "
                            "suggested; nothing to do")
    return predictor.vocabulary.index[tokens[0]]


def known(predictor, words) -> tuple[list[str], list[str]]:
    """(the words that can be blocked, those that cannot: never suggested)."""
    found, unknown = [], []
    for word in words:
        try:
            blockable(predictor, word)
        except NextwordError:
            unknown.append(word)
        else:
            found.append(word)
    return found, unknown


def blockable(predictor, word: str) -> tuple[int | None, str]:
    """(its vocabulary id, or None for a word of the spelling list outside the vocabulary,
    which corrections may offer; the token). Raises NextwordError for a word never suggested."""
    tokens = predictor.tokenize(word)
    if len(tokens) == 1 and predictor.speller.lists(tokens[0]):
        return None, tokens[0]
    index = word_id(predictor, word)
    return index, predictor.vocabulary.tokens[index]


def is_blocked(predictor, index: int | None, token: str) -> bool:
    """Whether a word (blockable's answer) is blocked."""
    return index in predictor.blocked if index is not None \
        else token in predictor.blocked_outside


def forget(predictor, words) -> list[str]:
    """Never suggest these words again (next words, completions, corrections, generation);
    returns the words newly blocked. `save()` keeps the change in the file."""
    with predictor.changing:
        # all checked before any is blocked
        found = [blockable(predictor, word) for word in words]
        for _, token in found:
            predictor.changes.blocked[token] = True
        new = list(dict.fromkeys(t for i, t in found if not is_blocked(predictor, i, t)))
        # new sets: readers may iterate the old ones
        predictor.blocked = predictor.blocked | {i for i, _ in found if i is not None}
        predictor.blocked_outside = predictor.blocked_outside | {t for i, t in found if i is None}
        record_blocked(predictor)
        return new


def unforget(predictor, words) -> list[str]:
    """Suggest these blocked words again; returns the words unblocked."""
    with predictor.changing:
        found = [blockable(predictor, word) for word in words]
        for _, token in found:
            predictor.changes.blocked[token] = False
        freed = list(dict.fromkeys(t for i, t in found if is_blocked(predictor, i, t)))
        predictor.blocked = predictor.blocked - {i for i, _ in found if i is not None}
        predictor.blocked_outside = predictor.blocked_outside - {t for i, t in found if i is None}
        record_blocked(predictor)
        return freed


def adopt_blocked(predictor) -> None:
    """Blocked words outside the vocabulary that have joined it (learned) stay blocked."""
    index = predictor.vocabulary.index
    joined = {word for word in predictor.blocked_outside if word in index}
    if joined:
        predictor.blocked = predictor.blocked | {index[word] for word in joined}
        predictor.blocked_outside = predictor.blocked_outside - joined


def record_blocked(predictor) -> None:
    predictor.meta = dict(predictor.meta, blocked=predictor.blocked_words)


def learn(predictor, text: str) -> dict:
    """Learn the words and phrases of text (lines of it) into the user layer, in memory.

    No gradient training: new words join the vocabulary and every n-gram of the text is
    counted (userlayer.py); `save()` keeps it in the file. Returns what was learned:
    {"lines", "tokens", "new words"}. Raises NextwordError when text has no words.
    """
    config = predictor.config
    lines = [tokens for tokens in (surface_tokens(line, tokenizer=config.tokenizer)
                                   for line in text.split("\n")) if tokens]
    if not lines:
        raise NextwordError("nothing to learn: the text has no words")
    return learn_written(predictor, lines)


def learn_files(predictor, files, on_bytes=None) -> dict:
    """Learn the text of files (checked paths, see text.corpus.find_files); see learn."""
    from ..text.corpus import read_lines

    config = predictor.config
    lines = list(read_lines(files, False, config.encoding, on_bytes, config.tokenizer))
    if not lines:
        raise NextwordError(f"nothing to learn in {', '.join(files)}: it has no words")
    return learn_written(predictor, lines)


def learn_written(predictor, lines: list, record: bool = True) -> dict:
    """Learn lines of tokens as written (surface_tokens: case kept): their words folded as
    the model folds them, and how they are written counted (text/casing.py); see learn."""
    if not predictor.config.lowercase:
        return learn_lines(predictor, lines, record)
    forms, first, capitals = Counter(), Counter(), Counter()
    for line in lines:  # each line begins a sentence
        line_forms, line_first, line_capitals = count_forms(line)
        forms.update(line_forms)
        first.update(line_first)
        capitals.update(line_capitals)
    return learn_lines(predictor, [fold(line) for line in lines], record,
                       (forms, first, capitals), written=lines)


def learn_lines(predictor, lines: list, record: bool = True, forms=None,
                written: list | None = None) -> dict:
    """Learn lines of tokens (as `tokenize` cuts them); see learn. record=False: a replay of
    lines learned before (sharing.rebase), neither noted again nor added to the recent words.
    forms: count_forms's (forms, first, capitals) of the lines as written, which `written` holds."""
    with predictor.changing:
        if record and written is not None:  # replayed as written: their forms count again
            predictor.changes.written.extend(written)
        elif record:
            predictor.changes.lines.extend(lines)
        order = predictor.ngram.order if predictor.ngram is not None else USER_ORDER
        user = predictor.user.copy() if predictor.user is not None \
            else UserLayer.new(predictor.base_size, order)
        unseen = Counter(token for line in lines for token in line
                         if token not in predictor.vocabulary.index)
        room = max(0, MAX_LEARNED_WORDS - len(user.words))
        new = sorted(unseen, key=lambda word: (-unseen[word], word))[:room]
        user.add_words(new)
        vocabulary = Vocabulary(predictor.vocabulary.tokens + new, spell=predictor.config.spells)
        encoded = [vocabulary.encode(line) for line in lines]
        tokens = sum(map(len, encoded))
        for chunk, sample in _prequential_chunks(encoded, STATS_PER_LEARN):
            _record(predictor, user, chunk, sample)
            user.count(chunk)
        user.unknown += sum(1 for line in lines for token in line
                            if token not in vocabulary.index)
        if forms is not None:
            totals = Counter(token for line in lines for token in line)
            learned_forms = SurfaceForms.build(totals, totals, *forms,
                                               always=predictor.base_forms.forms, least=1)
            user.forms = user.forms.merged(learned_forms)
        user.table  # noqa: B018  estimated here, so the next suggestion does not wait
        predictor.set_learned(user, vocabulary)
        adopt_blocked(predictor)
        predictor.meta = dict(predictor.meta, learned=learned(predictor))
        if record:
            for ids in encoded[-20:]:  # what the user wrote last is what they use next
                predictor.recent.add(ids)
    return {"lines": len(lines), "tokens": tokens, "new words": len(new)}


def _record(predictor, user: UserLayer, lines: list, sample: int) -> None:
    """Score up to `sample` positions of lines (each from the start of a line) under the
    base and under the user layer as it stands, and keep them to fit the weights."""
    order = np.random.default_rng(len(user.counts)).permutation(len(lines))
    chosen, positions = [], 0
    for i in order:
        if positions >= sample:
            break
        chosen.append(lines[i])
        positions += len(lines[i]) + 1
    chosen.sort(key=len)  # batches of similar lengths: little padding
    keep = max(predictor.history_size, user.order - 1)
    scored = []
    for begin in range(0, len(chosen), 32):
        batch = chosen[begin:begin + 32]
        width = max(map(len, batch)) + 1
        inputs = np.full((len(batch), width), PAD_ID, dtype=np.int32)
        targets = np.full((len(batch), width), -1, dtype=np.int64)
        inputs[:, 0] = EOL_ID
        for row, ids in enumerate(batch):
            inputs[row, 1:len(ids) + 1] = ids
            targets[row, :len(ids) + 1] = list(ids) + [EOL_ID]
        stepper = predictor.stepper
        outputs, _ = stepper.run(predictor.base_ids(inputs), stepper.initial_state(len(batch)))
        valid = np.flatnonzero(targets.ravel() >= 0)
        outputs = outputs.reshape(-1, outputs.shape[-1])[valid]
        network = sampling.softmax(stepper.logits(outputs))
        ids = np.concatenate([np.full((len(batch), keep), -1), inputs], axis=1)
        history = ngram_histories(ids, keep, width, keep)[valid]
        wanted = targets.ravel()[valid]
        if predictor.ngram is not None:
            network = predictor.ngram.mix_rows(network, predictor.base_ids(history),
                                               predictor.mixture, sparse=False)
        user_p, buckets = user.user_target(history, wanted)
        scored.append((user.base_target(network, wanted), user_p, buckets))
    if scored:
        user.record(*(np.concatenate(part) for part in zip(*scored)))


def learned(predictor) -> dict:
    """How much the user layer holds: lines, tokens and new words learned."""
    if predictor.user is None:
        return {"lines": 0, "tokens": 0, "new words": 0}
    return {"lines": predictor.user.lines, "tokens": predictor.user.tokens - predictor.user.lines,
            "new words": len(predictor.user.words)}


def reset_learning(predictor, record: bool = True) -> None:
    """Drop everything learned (the user layer); blocked words stay blocked (those that were
    learned words go with them, but for words of the spelling list, which corrections could
    offer). record=False: a replay (sharing.rebase)."""
    with predictor.changing:
        if record:  # what was learned before is dropped by the reset: nothing to replay
            changes = predictor.changes
            changes.reset, changes.lines, changes.written = True, [], []
        learned_blocked = [predictor.vocabulary.tokens[i] for i in predictor.blocked
                           if i >= predictor.base_size]
        base = predictor.vocabulary.tokens[:predictor.base_size]
        predictor.set_learned(None, Vocabulary(base, spell=predictor.config.spells))
        predictor.blocked = {i for i in predictor.blocked if i < predictor.base_size}
        if learned_blocked:  # a correction could offer those of the spelling list
            predictor.blocked_outside = predictor.blocked_outside | {
                word for word in learned_blocked if predictor.speller.lists(word)}
        predictor.meta = {key: value for key, value in predictor.meta.items()
                          if key != "learned"}
        record_blocked(predictor)


def _prequential_chunks(lines: list, sample: int):
    """(lines, positions to score) in halving-then-doubling stretches for learning.

    A long text is learned in stretches of 1/64, 1/64, 1/32, ... 1/2 of it, each scored by the
    model counted on the stretches before it: the weights see the user layer at every size,
    most of them (in proportion to the text) at the size it will have.
    """
    total = sum(len(line) + 1 for line in lines)
    stretches = 1 if len(lines) < 200 else 7
    ends = [len(lines) >> (stretches - 1 - k) if k < stretches - 1 else len(lines)
            for k in range(stretches)]
    begin = 0
    for end in ends:
        chunk = lines[begin:end]
        if chunk:
            size = sum(len(line) + 1 for line in chunk)
            yield chunk, max(1, round(sample * size / total))
        begin = end
