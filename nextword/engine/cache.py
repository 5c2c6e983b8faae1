"""The last few contexts' next-word distributions and model state, kept for the next keystroke."""

from __future__ import annotations

import threading
from collections import OrderedDict


class ContextCache:
    """The last few contexts' (distribution, state), most recently used kept.

    A keyboard asks again and again about the same words: every keystroke inside a word has
    the same context, and the next word's context is this one plus a token. Kept, the first
    costs nothing and the second one step instead of re-reading the whole text. Thread-safe;
    about 4 bytes per vocabulary word per entry.
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def emptied(self) -> "ContextCache":
        """A new, empty cache of the same size (the model changed: what is kept is stale)."""
        return ContextCache(self.size)

    def put(self, key, value) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
