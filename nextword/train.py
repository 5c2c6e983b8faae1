"""Training: corpus -> vocabulary -> windows -> fitted network -> one .keras file.

`train()` is what `nextword train` and the Python API call. Keras does the heavy lifting
(fit, early stopping, learning-rate schedule); this module wires it to nextword's data and
writes the model file atomically, keeping the best model so far if training is interrupted.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import tempfile
import time

import numpy as np

from . import __version__, storage
from .config import Config
from .data import Windows, encode_scan, scan_corpus
from .errors import NextwordError
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


def _callbacks(config: Config, started: float):
    import keras

    class PerplexityLogs(keras.callbacks.Callback):
        """Adds perplexity = exp(cross-entropy) to the logs the progress bar prints."""

        def _add(self, logs):
            for key in ("loss", "val_loss"):
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


def validation_metrics(core, dataset) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of an (uncompiled) id-to-logits model over a dataset."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def batch_sums(inputs, labels):
        logits = core(inputs, training=False)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
        hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels), tf.float64)
        return tf.reduce_sum(tf.cast(losses, tf.float64)), tf.reduce_sum(hits)

    loss = hits = count = 0.0
    for inputs, labels in dataset:
        batch_loss, batch_hits = batch_sums(inputs, labels)
        loss, hits = loss + float(batch_loss), hits + float(batch_hits)
        count += int(tf.size(labels))
    return loss / count, hits / count


def train(corpus, config: Config, output: str, verbose: int = 1, log=print,
          reading_progress=None) -> dict:
    """Train a model on the corpus files, folders or globs and save it to output.

    Args:
        corpus: paths, folders or glob patterns of UTF-8 text.
        config: every training option; saved in the model file.
        output: the .keras file to write (replaced atomically).
        verbose: Keras progress-bar verbosity (0 silent, 1 bar, 2 one line per epoch).
        log: where one-line progress messages go.
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
        progress = reading_progress(find_files(corpus).files) if reading_progress \
            else contextlib.nullcontext(None)
        with progress as on_bytes:
            scan = scan_corpus(corpus, config.lowercase, config.encoding,
                               ids_path=os.path.join(scratch, "raw.ids"), on_bytes=on_bytes)
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
        core = build_model(config, len(vocabulary), dtype=dtype)
        optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate,
                                          clipnorm=config.clipnorm or None)
        core.compile(optimizer=optimizer,
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
        train_data = windows.dataset("train", config.batch_size)
        validation_data = windows.dataset("validation", config.batch_size)
        callbacks = _callbacks(config, started)
        interrupted = False
        history = {}
        try:
            fitted = core.fit(train_data, validation_data=validation_data,
                              epochs=config.epochs, callbacks=callbacks, verbose=verbose,
                              shuffle=False)
            history = fitted.history
        except KeyboardInterrupt:
            interrupted = True
            stopper = callbacks[2]
            if stopper.best_weights is None:
                raise NextwordError("training interrupted before the first epoch ended; "
                                    "nothing was saved") from None
            core.set_weights(stopper.best_weights)
            log("training interrupted: saving the best model so far")
        training_seconds = time.time() - started

        # Export in float32 whatever the training precision: predictions stay exact.
        export_core = build_model(config, len(vocabulary))
        export_core.set_weights(core.get_weights())
        validation_loss, validation_accuracy = validation_metrics(export_core, validation_data)
        predictor_model = build_predictor_model(export_core, vocabulary)
        result = {
            "output": output,
            "vocabulary_size": len(vocabulary),
            "corpus_files": len(scan.files),
            "corpus_tokens": scan.tokens,
            "coverage": vocabulary.coverage(scan.counts),
            "validation_perplexity": float(math.exp(validation_loss)),
            "validation_accuracy": float(validation_accuracy),
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
        storage.save(predictor_model, meta, output)
    return result
