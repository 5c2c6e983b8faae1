"""What fit() trains: the network built and compiled, and the compute type it trains in.

Both `train` (pipeline.py) and `--budget`'s probe (budget.py) build the network the same way,
so this lives apart from both.
"""

from __future__ import annotations

import platform

import numpy as np

from ..config import Config
from ..errors import NextwordError


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


# The compute types whose training uses fastrnn.py's recurrent layers: they pay in bfloat16
# (1.1-1.2x the steps a second) and not in float32 (0.8-1.06x; benchmarks/step_speed.py).
FAST_DTYPES = ("mixed_bfloat16",)


def build_trainer(config: Config, vocab_size: int, strategy=None, distribute: str = "none",
                  sampled: bool = False, dtype: str = "float32"):
    """The network and what fit() trains: the network itself, or a sampled-softmax wrapper.

    With config.stateful the network's rows carry their state across batches (fixed size).

    Args:
        strategy: a tf.distribute strategy (default: the current one).
        sampled: train against config.sampled_softmax sampled words.
    Returns:
        (core, trainer), built and compiled under the strategy's scope.
    """
    import keras
    import tensorflow as tf

    from ..network.model import build_model

    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    if config.stateful and config.batch_size % replicas:
        raise NextwordError(f"--stateful deals the --batch-size {config.batch_size} streams out "
                            f"to {replicas} devices; make it a multiple of {replicas}")
    with strategy.scope():
        # Stateful: each replica carries the state of its share of the streams.
        batch = config.batch_size // replicas if config.stateful else None
        core = build_model(config, vocab_size, dtype=dtype, stateful_batch=batch,
                           fast=dtype in FAST_DTYPES)
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
        trainer(np.zeros((batch or 1, config.sequence_length), dtype=np.int32))  # build now
        if batch:
            from ..network.model import reset_states

            reset_states(core)
    if distribute == "multi-worker":
        # Keras 3.15 under MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388): fit
        # first averages a data batch across workers to build the model, which fails
        # ("Attempt to convert a value (PerReplica...)"); the model is built already, so skip
        # it. Its reduce of the step's logs fails on scalars: the trainer returns them as
        # 1-element vectors (see sampled_softmax.py).
        trainer._maybe_symbolic_build = lambda *args, **kwargs: None
    return core, trainer
