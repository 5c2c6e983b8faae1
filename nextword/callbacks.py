"""The Keras callbacks of a training run that Keras does not have: perplexity in the logs, a
time limit, and one line per epoch for output that is not a terminal."""

from __future__ import annotations

import math
import time

import keras


class ResetStates(keras.callbacks.Callback):
    """Stateful training: each epoch, and each validation pass, starts from a zero state."""

    def __init__(self, core):
        super().__init__()
        self.core = core

    def _reset(self, *args, **kwargs):
        from .model import reset_states

        reset_states(self.core)

    on_epoch_begin = on_test_begin = on_test_end = _reset


class PerplexityLogs(keras.callbacks.Callback):
    """Adds perplexity = exp(cross-entropy) to the logs the progress bar prints."""

    def __init__(self, sampled: bool):
        super().__init__()
        # A sampled-softmax training loss is no cross-entropy over the vocabulary.
        self.keys = ("val_loss",) if sampled else ("loss", "val_loss")

    def _add(self, logs):
        for key in self.keys:
            if logs and key in logs:
                logs[key.replace("loss", "perplexity")] = math.exp(min(logs[key], 50.0))

    def on_train_batch_end(self, batch, logs=None):
        self._add(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._add(logs)


class TimeLimit(keras.callbacks.Callback):
    """Stops training (after validating what was done) once max_minutes have passed."""

    def __init__(self, max_minutes: float, started: float):
        super().__init__()
        self.deadline = started + max_minutes * 60

    def on_train_batch_end(self, batch, logs=None):
        if time.time() > self.deadline:
            self.model.stop_training = True


class EpochLines(keras.callbacks.Callback):
    """One plain line per epoch (no progress bar, no escape codes), for logs and pipes."""

    KEYS = ("loss", "perplexity", "accuracy", "val_loss", "val_perplexity", "val_accuracy")

    def __init__(self, epochs: int, log=print):
        super().__init__()
        self.epochs = epochs
        self.log = log
        self.started = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        values = " - ".join(f"{key} {logs[key]:.4f}" for key in self.KEYS
                            if logs and key in logs)
        self.log(f"epoch {epoch + 1}/{self.epochs} - {time.time() - self.started:.0f} s - "
                 f"{values}")


def find(callbacks, kind):
    """The one callback of this type in the list."""
    found = [callback for callback in callbacks if isinstance(callback, kind)]
    if len(found) != 1:
        raise LookupError(f"{len(found)} callbacks of type {kind.__name__}")
    return found[0]
