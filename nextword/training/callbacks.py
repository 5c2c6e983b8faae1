"""The Keras callbacks of a training run that Keras does not have: perplexity in the logs, a
time limit, a learning rate annealed to the run's end, and one line per epoch for output that
is not a terminal."""

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
        from ..network.model import reset_states

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
    """Stops training (after validating what was done) once the deadline (a time.time()) has
    passed: the run's start plus --max-minutes."""

    def __init__(self, deadline: float):
        super().__init__()
        self.deadline = deadline

    def on_train_batch_end(self, batch, logs=None):
        if time.time() > self.deadline:
            self.model.stop_training = True


class Anneal(keras.callbacks.Callback):
    """`--lr-schedule anneal`: hold the learning rate, then lower it linearly to zero over the
    last `share` of the run (a warmup-stable-decay schedule without the warmup).

    The run's end is whichever comes first of its last epoch and its time limit, so a run cut by
    --max-minutes (or --budget) still ends annealed; progress is the larger of the two shares
    done. Measured against ReduceLROnPlateau in benchmarks/README.md: the plateau schedule
    halves the rate only after an epoch that did not improve, which a time-limited run often
    never reaches.
    """

    def __init__(self, rate: float, epochs: int, deadline: float | None = None,
                 share: float = 0.3, spent: float = 0.0):
        """spent: seconds of fitting done before this fit (a resumed run), so that the time's
        share goes on from where the interrupted run was instead of starting over."""
        super().__init__()
        self.rate, self.epochs, self.deadline, self.share = rate, epochs, deadline, share
        self.spent = spent
        self.epoch = 0
        self.current = None

    def on_train_begin(self, logs=None):
        self.fit_started = time.time() - self.spent

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def progress(self, batch: int) -> float:
        steps = self.params.get("steps") or 1
        done = (self.epoch * steps + batch) / (self.epochs * steps)
        if self.deadline is not None:
            available = max(self.deadline - self.fit_started, 1e-9)
            done = max(done, (time.time() - self.fit_started) / available)
        return min(done, 1.0)

    def on_train_batch_begin(self, batch, logs=None):
        rate = self.rate * min(1.0, (1.0 - self.progress(batch)) / self.share)
        if self.current is None or abs(rate - self.current) > 1e-4 * self.rate:
            self.model.optimizer.learning_rate = rate
            self.current = rate

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.current is not None:
            logs["learning_rate"] = float(self.current)


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
