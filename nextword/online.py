"""Online learning: learn each finished line as the user types, save now and then.

`complete -i --learn` and `serve --learn` learn every line the user finishes (what they typed,
accepted suggestions included) into the model's user layer (Predictor.learn), and an
OnlineLearner writes the file from a background thread at most every `interval` seconds and
once more when it is closed. Saving is atomic (storage.rewrite_meta), so a crash or kill
loses at most the lines of the last few seconds and never the file.
"""

from __future__ import annotations

import threading

SAVE_INTERVAL = 5.0  # seconds between saves at most


class OnlineLearner:
    """Learns lines into a predictor and keeps its file up to date, a few seconds behind."""

    def __init__(self, predictor, path: str | None = None, interval: float = SAVE_INTERVAL,
                 log=None):
        self.predictor = predictor
        self.path = path or predictor.path
        self.interval = interval
        self.log = log
        self.saves = 0
        self._dirty = threading.Event()  # learned since the last save
        self._wake = threading.Event()  # the saver has something to do
        self._closed = threading.Event()
        self._saving = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="nextword-saver", daemon=True)
        self._thread.start()

    def learn(self, text: str) -> dict:
        """Learn a finished line (or lines); blank text is ignored. Returns what was learned."""
        if not text.strip() or not self.predictor.tokenize(text):
            return {"lines": 0, "tokens": 0, "new words": 0}
        learned = self.predictor.learn(text)
        self._dirty.set()
        self._wake.set()
        return learned

    def save(self) -> None:
        """Write the model now if something was learned since the last save."""
        with self._saving:
            if not self._dirty.is_set():
                return
            self._dirty.clear()
            try:
                self.predictor.save(self.path)
            except Exception as error:  # keep learning; say why the file was not written
                self._dirty.set()
                if self.log:
                    self.log(f"could not save what was learned: {error}")
                return
            self.saves += 1

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._closed.is_set():
                return
            self._wake.clear()
            self.save()
            if self._closed.wait(self.interval):  # at most one save per interval
                return

    def close(self) -> None:
        """Stop the background saver and save what is left."""
        self._closed.set()
        self._wake.set()
        self._thread.join()
        self.save()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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

