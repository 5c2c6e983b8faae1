"""Training: corpus -> vocabulary -> windows -> fitted network -> one .keras file.

`train()` is what `nextword train` and the Python API call. Keras does the heavy lifting
(fit, early stopping, learning-rate schedule); this module wires it to nextword's data and
writes the model file atomically, keeping the best model so far if training is interrupted.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import tempfile
import time

import numpy as np

from . import __version__, storage
from .config import Config
from .data import Windows, encode_scan, scan_corpus
from .distribute import is_chief, make_strategy, task
from .errors import NextwordError
from .mixing import fit_ngram
from .text import find_files
from .vocab import Vocabulary


def cpu_has_bf16() -> bool:
    """True where the CPU has native bfloat16 matrix units (AVX512_BF16 or AMX), on Linux."""
    if platform.system() != "Linux":
        return False
    try:
        with open("/proc/cpuinfo") as handle:
            flags = handle.read(1 << 16)
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def compute_dtype(config: Config) -> str:
    return "mixed_bfloat16" if config.mixed_precision and cpu_has_bf16() else "float32"


def _callbacks(config: Config, started: float, sampled: bool):
    import keras

    class PerplexityLogs(keras.callbacks.Callback):
        """Adds perplexity = exp(cross-entropy) to the logs the progress bar prints."""

        def _add(self, logs):
            # A sampled-softmax training loss is no cross-entropy over the vocabulary.
            keys = ("val_loss",) if sampled else ("loss", "val_loss")
            for key in keys:
                if logs and key in logs:
                    logs[key.replace("loss", "perplexity")] = math.exp(min(logs[key], 50.0))

        def on_train_batch_end(self, batch, logs=None):
            self._add(logs)

        def on_epoch_end(self, epoch, logs=None):
            self._add(logs)

    class TimeLimit(keras.callbacks.Callback):
        """Stops training (after validating what was done) once max_minutes have passed."""

        def on_train_batch_end(self, batch, logs=None):
            if time.time() - started > config.max_minutes * 60:
                self.model.stop_training = True

    callbacks = [
        PerplexityLogs(),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0,
                                          min_delta=0.002, verbose=0),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                      restore_best_weights=True, verbose=0),
    ]
    if config.max_minutes:
        callbacks.append(TimeLimit())
    return callbacks


def _build_trainer(config: Config, vocab_size: int, strategy, distribute: str, sampled: bool,
                   dtype: str):
    """The network and what fit() trains: the network itself, or a sampled-softmax wrapper.

    Returns (core, trainer), built and compiled under the strategy's scope.
    """
    import keras

    from .model import build_model

    with strategy.scope():
        core = build_model(config, vocab_size, dtype=dtype)
        optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate,
                                          clipnorm=config.clipnorm or None)
        if sampled or distribute == "multi-worker":
            from .sampled_softmax import SampledSoftmaxTrainer

            trainer = SampledSoftmaxTrainer(core, config.sampled_softmax if sampled else 0,
                                            vector_logs=distribute == "multi-worker")
            trainer.compile(optimizer=optimizer)
        else:
            trainer = core
            core.compile(optimizer=optimizer,
                         loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                         metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
        trainer(np.zeros((1, config.sequence_length), dtype=np.int32))  # build it now
    if distribute == "multi-worker":
        # Keras 3.15 under MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388): fit
        # first averages a data batch across workers to build the model, which fails
        # ("Attempt to convert a value (PerReplica...)"); the model is built already, so skip
        # it. Its reduce of the step's logs fails on scalars: the trainer returns them as
        # 1-element vectors (see sampled_softmax.py).
        trainer._maybe_symbolic_build = lambda *args, **kwargs: None
    return core, trainer


def default_backup_dir(output: str) -> str:
    """Where an interrupted run's state is kept: beside the model, `<name>-backup/`."""
    return os.path.splitext(output)[0] + "-backup"


def history_path(output: str) -> str:
    return os.path.splitext(output)[0] + ".history.csv"


def picture_path(output: str) -> str:
    return os.path.splitext(output)[0] + ".png"


class Backup:
    """Keras BackupAndRestore plus a check that the backup belongs to the same training run."""

    def __init__(self, folder: str, config: Config, save_every: int = 0):
        self.folder = folder
        self.config = config
        self.save_every = save_every
        self.config_path = os.path.join(folder, "nextword-config.json")

    def check(self) -> int:
        """The number of epochs the backup has finished (0: none); refuses a foreign backup."""
        if not os.path.exists(self.config_path):
            return 0
        with open(self.config_path) as handle:
            saved = json.load(handle)
        if saved != self._comparable(self.config.to_dict()):
            raise NextwordError(f"{self.folder} holds an interrupted run with other options; "
                                "rerun that command to resume it, or delete the folder")
        metadata = os.path.join(self.folder, "training_metadata.json")
        if not os.path.exists(metadata):
            return 0
        with open(metadata) as handle:
            return int(json.load(handle).get("epoch", 0))

    # Options that do not change the network's training; a resumed run may change them.
    FREE = ("max_minutes", "corpus", "ngram_order", "ngram_max_entries", "ngram_max_tokens")

    @classmethod
    def _comparable(cls, values: dict) -> dict:
        return {k: v for k, v in values.items() if k not in cls.FREE}

    def callback(self):
        import keras

        os.makedirs(self.folder, exist_ok=True)
        with open(self.config_path, "w") as handle:
            json.dump(self._comparable(self.config.to_dict()), handle)
        return keras.callbacks.BackupAndRestore(
            self.folder, save_freq=self.save_every or "epoch", delete_checkpoint=True)


def train(corpus, config: Config, output: str, verbose: int = 1, log=print,
          reading_progress=None, backup_dir: str | None = None, save_every: int = 0,
          extra_callbacks=(), plot: bool = True, distribute: str = "none") -> dict:
    """Train a model on the corpus files, folders or globs and save it to output.

    Args:
        corpus: paths, folders or glob patterns of UTF-8 text.
        config: every training option; saved in the model file.
        output: the .keras file to write (replaced atomically).
        verbose: Keras progress-bar verbosity (0 silent, 1 bar, 2 one line per epoch).
        log: where one-line progress messages go.
        backup_dir: where training state is saved each epoch (and every save_every steps) so
            that the same command resumes an interrupted run; default `<output>-backup`.
        save_every: also back up every this many steps (0: at the end of each epoch only).
        extra_callbacks: more Keras callbacks for fit (a notebook's own logging, say).
        plot: draw the training curves into `<name>.png` beside the model.
        distribute: "none", "mirrored" (all local devices) or "multi-worker" (TF_CONFIG);
            under multi-worker only the chief writes the model.
        reading_progress: files -> context manager yielding a callback that is given the
            byte count of each chunk read (a progress bar for the corpus pass).
    Returns:
        A dict of results: output path, vocabulary size, tokens, validation perplexity and
        accuracy, epochs run, training seconds, and whether training was interrupted.
    """
    config.validate()
    storage.check_writable(output)
    from ._tf import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from .model import build_model, build_predictor_model

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="nextword-") as scratch:
        found = find_files(corpus)
        progress = reading_progress(found.files) if reading_progress \
            else contextlib.nullcontext(None)
        with progress as on_bytes:
            scan = scan_corpus(corpus, config.lowercase, config.encoding,
                               ids_path=os.path.join(scratch, "raw.ids"), on_bytes=on_bytes,
                               found=found)
        for path in scan.skipped:
            log(f"skipped {path}: not a text file")
        vocabulary = Vocabulary.build(scan.counts, config.max_vocab, config.min_count)
        ids = encode_scan(scan, vocabulary, os.path.join(scratch, "vocab.ids"))
        windows = Windows(ids, config.sequence_length, config.validation_split, config.seed)
        config.corpus = [os.path.abspath(path) for path in scan.files]
        log(f"corpus: {len(scan.files)} files, {scan.tokens:,} tokens, vocabulary "
            f"{len(vocabulary):,} words; {len(windows.train):,} training and "
            f"{len(windows.validation):,} validation windows of {config.sequence_length}")

        keras.utils.set_random_seed(config.seed)
        dtype = compute_dtype(config)
        strategy = make_strategy(distribute)
        chief = is_chief(distribute)
        _, worker, workers = task() if distribute == "multi-worker" else ("chief", 0, 1)
        sampled = config.sampled_softmax and len(vocabulary) > 2 * config.sampled_softmax
        core, trainer = _build_trainer(config, len(vocabulary), strategy, distribute, sampled,
                                       dtype)
        folder = backup_dir or default_backup_dir(output)
        if not chief:  # each worker keeps its own state; only the chief's sits beside the model
            folder = os.path.join(scratch, f"backup-worker-{worker}")
        backup = Backup(folder, config, save_every)
        first_epoch = backup.check()
        if first_epoch:
            log(f"resuming from {backup.folder} after epoch {first_epoch}")
        train_data = windows.dataset("train", config.batch_size, first_epoch=first_epoch,
                                     shards=workers)
        validation_data = windows.dataset("validation", config.batch_size, shards=workers)
        callbacks = _callbacks(config, started, sampled)
        stopper = callbacks[2]
        callbacks += [backup.callback(), *extra_callbacks]
        if chief:
            callbacks.append(keras.callbacks.CSVLogger(history_path(output),
                                                       append=bool(first_epoch)))
        interrupted = False
        history = {}
        try:
            fitted = trainer.fit(train_data, validation_data=validation_data,
                                 epochs=config.epochs, callbacks=callbacks, verbose=verbose,
                                 shuffle=False)
            history = fitted.history
        except KeyboardInterrupt:
            interrupted = True
            if stopper.best_weights is None:
                raise NextwordError(f"training interrupted before the first epoch ended; no "
                                    f"model was saved. Run the same command again to resume "
                                    f"from {backup.folder}") from None
            trainer.set_weights(stopper.best_weights)
            log("training interrupted: saving the best model so far")
        training_seconds = time.time() - started

        # Export in float32 whatever the training precision: predictions stay exact.
        export_core = build_model(config, len(vocabulary))
        export_core.set_weights(core.get_weights())
        # Only the chief's model is saved: other workers skip the n-gram model.
        table, mixture, held_out = fit_ngram(export_core, windows, len(vocabulary),
                                             config.ngram_order if chief else 0,
                                             config.ngram_max_entries, config.ngram_max_tokens,
                                             log)
        predictor_model = build_predictor_model(export_core, vocabulary, table, mixture)
        result = {
            "output": output,
            "vocabulary_size": len(vocabulary),
            "corpus_files": len(scan.files),
            "corpus_tokens": scan.tokens,
            "coverage": vocabulary.coverage(scan.counts),
            **held_out,
            "epochs": len(history.get("loss", [])),
            "training_seconds": round(training_seconds, 1),
            "compute_dtype": dtype,
            "interrupted": interrupted,
            "history": {key: [float(v) for v in values] for key, values in history.items()},
        }
        meta = {
            "config": config.to_dict(),
            "training": result,
            "versions": {"nextword": __version__, "keras": keras.__version__},
        }
        if not chief:
            return dict(result, output=None)
        storage.save(predictor_model, meta, output)
        if plot and history:
            from .plot import plot_history

            plot_history(history, picture_path(output),
                         f"{config.cell} {config.layers}x{config.units} on "
                         f"{', '.join(os.path.basename(p) for p in config.corpus[:3])}")
        if not interrupted and os.path.isdir(backup.folder):
            shutil.rmtree(backup.folder, ignore_errors=True)
    return result
