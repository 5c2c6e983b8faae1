"""One model file, several processes: writes merged under the file's lock, readers that follow.

A model file is rewritten by `learn`, `forget`, `complete -i --learn` and `serve --learn`, and
read by long-running servers. A predictor remembers what it changed since it last read or
wrote the file (`Changes`: lines learned, words blocked or unblocked, a reset). To save, it
takes the file's writer lock (storage.writing); if another process wrote the file since, it
first reads that version and replays its own changes on top (`rebase`): learned counts add up,
blocked words are the union, an unblock removes only the words it names. A follower
(`Follower`, used by `serve` and `complete -i --learn`) checks the file a few times a second
and takes in what others wrote the same way, so a `forget` reaches its suggestions within a
second and is never written back out by its next save.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from .. import storage
from ..errors import NextwordError
from ..text.vocab import Vocabulary
from . import learning
from .userlayer import UserLayer

FOLLOW_INTERVAL = 0.25  # seconds between a follower's looks at the file


@dataclass
class Changes:
    """What a predictor changed since it last read or wrote its file, to replay on a newer one."""
    reset: bool = False  # everything learned was dropped (learn --reset)
    lines: list = field(default_factory=list)  # lines of tokens learned, in order
    written: list = field(default_factory=list)  # and lines learned as written (case kept)
    blocked: dict = field(default_factory=dict)  # vocabulary token -> True blocked, False freed

    def __bool__(self) -> bool:
        return self.reset or bool(self.lines) or bool(self.written) or bool(self.blocked)


def same_base(meta: dict, other: dict) -> bool:
    """Whether two files' metadata describe the same trained model (what learning and
    blocking change lies beside it): the same training options and results."""
    return meta.get("config") == other.get("config") \
        and meta.get("training") == other.get("training")


def split_blocked(meta: dict, vocabulary: Vocabulary) -> tuple[set, frozenset]:
    """The blocked words a file names: (vocabulary ids, the words outside the vocabulary,
    spelling-list words a correction could offer)."""
    names = meta.get("blocked", [])
    return ({vocabulary.index[word] for word in names if word in vocabulary.index},
            frozenset(word for word in names if word not in vocabulary.index))


def rebase(predictor, meta: dict, user_bytes: bytes | None) -> None:
    """Make the predictor's learned state the file's (its metadata and user layer), then
    replay what the predictor changed since it last read or wrote the file."""
    user = UserLayer.from_bytes(user_bytes, predictor.base_size) if user_bytes else None
    base = predictor.vocabulary.tokens[:predictor.base_size]
    vocabulary = Vocabulary(base + (user.words if user else []),
                            spell=predictor.config.spells)
    predictor.meta = dict(meta)
    predictor.blocked, predictor.blocked_outside = split_blocked(meta, vocabulary)
    predictor.set_learned(user, vocabulary)
    changes = predictor.changes
    if changes.reset:
        learning.reset_learning(predictor, record=False)
    if changes.lines:
        learning.learn_lines(predictor, changes.lines, record=False)
    if changes.written:
        learning.learn_written(predictor, changes.written, record=False)
    blocked = set(predictor.blocked)  # new sets: readers may be iterating the old ones
    outside = set(predictor.blocked_outside)
    for word, block in changes.blocked.items():
        index = predictor.vocabulary.index.get(word)
        if index is not None:
            (blocked.add if block else blocked.discard)(index)
        else:
            (outside.add if block else outside.discard)(word)
    predictor.blocked, predictor.blocked_outside = blocked, frozenset(outside)
    learning.record_blocked(predictor)
    if predictor.user is None:  # (a reset, and nothing learned since)
        predictor.meta.pop("learned", None)
    else:
        predictor.meta["learned"] = learning.learned(predictor)


def save(predictor, path: str | None = None) -> None:
    """Write the predictor's blocked words and learned text into its file (or to `path`),
    atomically and under the file's writer lock, merged with what other processes wrote.

    Writing to another file (`learn -o OUT`) replaces OUT, unless a running process follows
    it. Raises NextwordError when the lock cannot be had in time, or when the file now holds
    another trained model: nothing is written then.
    """
    target = path or predictor.path
    own = os.path.abspath(target) == os.path.abspath(predictor.path)
    with predictor.changing, storage.writing(target):
        source = predictor.path
        found, meta, parts = storage.read_parts(source, (storage.USER_ENTRY,) if own else ())
        if not same_base(meta, predictor.meta):
            raise NextwordError(f"{source} now holds another trained model than the one "
                                "loaded here; what was learned or forgotten here was not "
                                "written")
        if own and found != predictor.synced:  # another process wrote it: merge
            rebase(predictor, meta, parts[storage.USER_ENTRY])
        if not own:
            storage.check_not_followed(target)
        user = predictor.user.to_bytes() if predictor.user is not None else None
        storage.rewrite_meta(source, predictor.meta, target, {storage.USER_ENTRY: user})
        predictor.path = target
        predictor.synced = storage.identity(target)
        predictor.changes = Changes()


def refresh(predictor) -> bool:
    """Take in what other processes wrote to the predictor's file since it last read or wrote
    it (blocked words, learned text), keeping its own unsaved changes. Returns whether the
    file had changed. Raises NextwordError when it now holds another trained model."""
    if storage.identity(predictor.path) in (None, predictor.synced):
        return False
    with predictor.changing:
        found, meta, parts = storage.read_parts(predictor.path, (storage.USER_ENTRY,))
        if found == predictor.synced:
            return False
        if not same_base(meta, predictor.meta):
            predictor.synced = found  # said once: this version is not looked at again
            raise NextwordError(f"{predictor.path} was replaced by another trained model; "
                                "this process goes on with the one it loaded (restart it to "
                                "use the new one)")
        rebase(predictor, meta, parts[storage.USER_ENTRY])
        predictor.synced = found
    return True


class Follower:
    """Follows a predictor's file from a thread: what other processes write is taken in within
    `interval` seconds. Marks the file as followed (storage.follow) until closed."""

    def __init__(self, predictor, interval: float = FOLLOW_INTERVAL, log=None):
        self.predictor = predictor
        self.interval = interval
        self.log = log
        self.refreshes = 0
        self._mark = storage.follow(predictor.path)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nextword-follower",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if refresh(self.predictor):
                    self.refreshes += 1
            except NextwordError as error:
                if self.log:
                    self.log(str(error))
            except OSError:  # the file is being replaced, or the disk is away: look again
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._mark is not None:
            self._mark.release()
            self._mark.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
