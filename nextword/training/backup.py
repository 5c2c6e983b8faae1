"""Crash-safe training backups: the state that rerunning an interrupted command resumes from.

A backup folder holds `nextword-config.json` (the options of the run it belongs to),
`training_metadata.json` (epochs done and which weights file holds them) and at most two
weights files, the latest and the one before. New weights go to a fresh file, synced, before
the metadata is replaced by a rename, so a kill at any moment leaves a whole backup. A damaged
backup (a disk error, or a backup written by Keras's own callback and cut short) is reported in
one line, and training goes on from the backup before it or from the start.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid

import keras

from ..config import Config
from ..errors import NextwordError

CONFIG = "nextword-config.json"
METADATA = "training_metadata.json"  # Keras's name, which the layout of older backups used
KERAS_WEIGHTS = "latest.weights.h5"  # the weights of a backup in Keras's own layout


def _write_atomically(path: str, text: str) -> None:
    temporary = path + ".partial"
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _sync_folder(folder: str) -> None:
    """Make the renames inside folder durable (a power loss after them keeps them)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _cause(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:120]}" if text else type(error).__name__


class Backup:
    """A run's backup folder: refuses a foreign run's, restores, and makes the callback."""

    # Options that do not change the network's training; a resumed run may change them.
    FREE = ("max_minutes", "corpus", "ngram_order", "ngram_max_entries", "ngram_max_tokens")

    def __init__(self, folder: str, config: Config, save_every: int = 0, log=print,
                 run: dict | None = None):
        """run: more of what makes a backup this run's besides the options (`train --from`:
        the base model), compared and saved with them."""
        self.folder = folder
        self.config = config
        self.run = run or {}
        self.save_every = save_every
        self.log = log
        # What was restored: {"epoch", "batch", "weights", "seconds", "fit_seconds"}.
        self.state: dict | None = None
        self._usable: bool | None = None

    @classmethod
    def _comparable(cls, values: dict) -> dict:
        return {k: v for k, v in values.items() if k not in cls.FREE}

    def _identity(self) -> dict:
        """What the backup's config file must hold to be this run's."""
        return {**self._comparable(self.config.to_dict()), **self.run}

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def _states(self) -> list:
        """The saved states, latest first; raises ValueError for unreadable metadata."""
        if not os.path.exists(self._path(METADATA)):
            return []
        with open(self._path(METADATA)) as handle:
            metadata = json.load(handle)
        latest = {"epoch": int(metadata["epoch"]), "batch": int(metadata.get("batch", 0)),
                  "weights": metadata.get("weights", KERAS_WEIGHTS),
                  "seconds": float(metadata.get("seconds", 0.0)),
                  "fit_seconds": float(metadata.get("fit_seconds", 0.0))}
        previous = metadata.get("previous")
        return [latest] + ([previous] if previous else [])

    def _read_options(self) -> dict:
        with open(self._path(CONFIG)) as handle:
            return json.load(handle)

    def saved_options(self) -> dict | None:
        """The options of the run this folder backs up, or None (no backup, or unreadable)."""
        try:
            return self._read_options()
        except (OSError, ValueError):
            return None

    def check(self) -> bool:
        """Refuse the backup of a run with other options (the user reran another command).

        Returns False when the folder's options cannot be read: its state is then not used.
        """
        if self._usable is None:
            self._usable = self._check()
        return self._usable

    def _check(self) -> bool:
        if not os.path.exists(self._path(CONFIG)):
            return True
        try:
            saved = self._read_options()
        except (OSError, ValueError) as error:
            self._damaged(f"{CONFIG}: {_cause(error)}", None)
            return False
        if saved != self._identity():
            raise NextwordError(f"{self.folder} holds an interrupted run with other options; "
                                "rerun that command to resume it, or delete the folder")
        return True

    def _damaged(self, cause: str, fallback: dict | None) -> None:
        then = (f"the last good backup, after epoch {fallback['epoch']}" if fallback
                else "the start")
        self.log(f"backup {self.folder} is damaged ({cause}); starting from {then}")

    def restore(self, trainer) -> int:
        """Load the latest whole backup into trainer; returns the epochs it had done (0: none).

        Call it under the distribution strategy's scope, before fit.
        """
        if not self.check() or not os.path.isdir(self.folder):
            return 0
        try:
            states = self._states()
        except (OSError, ValueError, KeyError, TypeError) as error:
            self._damaged(f"{METADATA}: {_cause(error)}", None)
            return 0
        if not states:
            return 0
        if trainer.optimizer is not None and not trainer.optimizer.built:
            trainer.optimizer.build(trainer.trainable_variables)  # its state is in the file too
        variables = list({id(v): v for v in trainer.variables + trainer.optimizer.variables}
                         .values())
        initial = [v.numpy() for v in variables]
        for index, state in enumerate(states):
            try:
                trainer.load_weights(self._path(state["weights"]))
            except Exception as error:  # a damaged file fails in h5py, Keras or the OS
                fallback = states[index + 1] if index + 1 < len(states) else None
                self._damaged(f"{state['weights']}: {_cause(error)}", fallback)
                continue
            self.state = state
            return state["epoch"]
        for variable, value in zip(variables, initial):  # a half-loaded file left some
            variable.assign(value)
        return 0

    def spent(self) -> tuple:
        """(seconds of the run, seconds of fitting) that the restored backup had done: a resumed
        run's time limit and annealed rate go on from them instead of starting over. The
        time between the last backup and the kill is not counted (its work was lost too)."""
        state = self.state or {}
        return state.get("seconds", 0.0), state.get("fit_seconds", 0.0)

    def callback(self, started: float | None = None) -> "AtomicBackup":
        """started: the run's start (a time.time(), moved back by what a resumed backup had
        spent), from which each backup counts the run's seconds."""
        os.makedirs(self.folder, exist_ok=True)
        if self.state is None:  # starting afresh: no state of another start may stay behind
            for name in os.listdir(self.folder):
                if name == METADATA or name.endswith((".weights.h5", ".bkp")):
                    os.remove(self._path(name))
        _write_atomically(self._path(CONFIG), json.dumps(self._identity()))
        return AtomicBackup(self.folder, self.save_every, self.state, started)


class AtomicBackup(keras.callbacks.BackupAndRestore):
    """Keras's BackupAndRestore with crash-safe writes; Backup.restore does the restoring.

    The folder is removed by whoever saved the model, not when fit ends: the model is saved
    after the n-gram pass, and a run killed then resumes from here.
    """

    def __init__(self, folder: str, save_every: int = 0, restored: dict | None = None,
                 started: float | None = None):
        super().__init__(folder, save_freq=save_every or "epoch", delete_checkpoint=False)
        self.latest = restored
        self.started = time.time() if started is None else started
        self.fit_spent = (restored or {}).get("fit_seconds", 0.0)  # before this fit
        self.fit_began = time.time()

    def on_train_begin(self, logs=None):
        # Restored before fit, so that a damaged backup can fall back to an earlier one.
        self.fit_began = time.time()

    def _save_model(self):
        with _ctrl_c_after():
            self._write()

    def _write(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        state = {"epoch": self._current_epoch, "batch": self._last_batch_seen,
                 "weights": f"weights-{self._current_epoch}-{uuid.uuid4().hex[:8]}.weights.h5",
                 "seconds": round(time.time() - self.started, 2),
                 "fit_seconds": round(self.fit_spent + time.time() - self.fit_began, 2)}
        path = os.path.join(self.backup_dir, state["weights"])
        self.model.save_weights(path, overwrite=True)
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
        metadata = dict(state, previous=self.latest)
        _write_atomically(os.path.join(self.backup_dir, METADATA), json.dumps(metadata))
        _sync_folder(self.backup_dir)
        self.latest = state
        keep = {state["weights"], (metadata["previous"] or {}).get("weights")}
        for name in os.listdir(self.backup_dir):
            if name.endswith(".weights.h5") and name not in keep:
                os.remove(os.path.join(self.backup_dir, name))


@contextlib.contextmanager
def _ctrl_c_after():
    """Hold a Ctrl-C pressed while a backup is written until it is written: HDF5 interrupted
    in the middle of a file fails with an error of its own (a TypeError from its type
    system, seen in test_nothing_lost) instead of the KeyboardInterrupt that training turns
    into "the best model so far was saved"."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *args: pressed.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    if pressed:
        raise KeyboardInterrupt
