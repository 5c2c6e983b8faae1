"""Online learning: learn each finished line as the user types, save now and then.

`complete -i --learn` and `serve --learn` learn every line the user finishes (what they typed,
accepted suggestions included) into the model's user layer (Predictor.learn). An
OnlineLearner does the learning and the saving on its own thread: suggestions go on from the
model as it was until the new user layer is ready (Predictor.learn swaps it in at the end), so
learning a line never delays an answer. The file is written at most every `interval` seconds
and once more when the learner is closed; saving is atomic and merged with what other
processes wrote (sharing.py), so a crash or kill loses at most the lines of the last few
seconds and never the file. Words forgotten through the learner (`POST /v1/forget`) are saved
at once.
"""

from __future__ import annotations

import queue
import threading
import time

SAVE_INTERVAL = 5.0  # seconds between saves at most
EMPTY = {"lines": 0, "tokens": 0, "new words": 0}


class OnlineLearner:
    """Learns lines into a predictor on a worker thread and keeps its file up to date."""

    def __init__(self, predictor, path: str | None = None, interval: float = SAVE_INTERVAL,
                 log=None):
        self.predictor = predictor
        self.path = path or predictor.path
        self.interval = interval
        self.log = log
        self.saves = 0
        self._jobs: queue.Queue = queue.Queue()
        self._dirty = False  # learned since the last save
        self._last_save = 0.0
        self._thread = threading.Thread(target=self._run, name="nextword-learner", daemon=True)
        self._thread.start()

    # ----- what callers use ---------------------------------------------------------------------
    def submit(self, text: str) -> None:
        """Learn a finished line (or lines) soon, on the worker thread; returns at once."""
        self._jobs.put((lambda: self._learn(text), None))

    def learn(self, text: str) -> dict:
        """Learn a finished line on the worker thread and wait for it; returns what was
        learned ({"lines", "tokens", "new words"}; all 0 for text without words)."""
        return self._wait(lambda: self._learn(text))

    def forget(self, words, undo: bool = False) -> list[str]:
        """Block words (unblock them with undo) on the worker thread and save the file at
        once, then return the words changed; raises NextwordError as Predictor.forget."""
        return self._wait(lambda: self._forget(words, undo))

    def _wait(self, job):
        done: queue.Queue = queue.Queue(maxsize=1)
        self._jobs.put((job, done))
        result = done.get()
        if isinstance(result, Exception):
            raise result
        return result

    def close(self) -> None:
        """Learn what is still queued, save, and stop the worker."""
        self._jobs.put(None)
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----- the worker ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            timeout = None
            if self._dirty:  # save once the interval since the last save has passed
                timeout = max(0.0, self._last_save + self.interval - time.monotonic())
            try:
                job = self._jobs.get(timeout=timeout)
            except queue.Empty:
                self._save()
                continue
            if job is None:
                self._save()
                return
            work, done = job
            try:
                result = work()
            except Exception as error:  # a bad line must not stop the learner
                result = error
                if done is None and self.log:
                    self.log(f"could not learn a line: {error}")
            if done is not None:
                done.put(result)

    def _learn(self, text: str) -> dict:
        if not text.strip() or not self.predictor.tokenize(text):
            return dict(EMPTY)
        learned = self.predictor.learn(text)
        self._dirty = True
        return learned

    def _forget(self, words, undo: bool) -> list[str]:
        changed = (self.predictor.unforget if undo else self.predictor.forget)(words)
        if changed:  # a privacy request: on disk now, not at the next interval
            self._dirty = True
            self._save(raising=True)
        return changed

    def _save(self, raising: bool = False) -> None:
        if not self._dirty:
            return
        try:
            self.predictor.save(self.path)
        except Exception as error:  # keep learning; say why the file was not written
            self._last_save = time.monotonic()
            if raising:
                raise
            if self.log:
                self.log(f"could not save what was learned: {error}")
            return
        self._dirty = False
        self._last_save = time.monotonic()
        self.saves += 1


def finished_lines():
    """A tracker for `complete -i --learn`: each query is the current line typed so far; a
    query that does not continue the previous one means the previous line was finished.

    Returns feed(query) -> the finished line to learn or None; feed(None) at the end returns
    the last line.
    """
    previous = [""]

    def feed(query):
        last = previous[0]
        if query is None:
            previous[0] = ""
            return last or None
        previous[0] = query
        if last and not query.startswith(last.rstrip()):
            return last
        return None

    return feed
