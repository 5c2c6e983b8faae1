"""`train --budget 30m`: the largest network this machine can train well in the time given.

A user who says how long they can wait should get the best model for that wait, not a fixed
recipe that is too small for a long wait or too big for a short one. Measured on KJV (the
default GRU, quality.py): networks reach their best held-out perplexity after about 5-7
passes over the corpus; fewer passes leave a larger network worse than a smaller one that
finished. So the budget buys the largest network that still gets MIN_EPOCHS passes.

How: after the corpus is read, a short probe times a few real training steps of the
candidates (tied GRU/LSTM/SimpleRNN as configured, embedding = units) on this machine (the
smallest, then the largest, then the others only if the largest does not fit), in float32
and, where the CPU has bfloat16 units and neither --mixed-precision nor --float32 was given,
in bfloat16 too, taking bfloat16 unless float32 measures more than
BF16_MARGIN faster (whole epochs 1.15-1.45x faster for 2x512 on KJV, the models as good:
benchmarks/README.md); the candidate with the most units (then layers) whose speed
gives at least MIN_EPOCHS passes in the budget (less what reading, probing and counting the
n-gram model take) is chosen, its dropout and the share of the run its learning rate is
annealed over set by its size against the corpus's (DROPOUT_AT, SHARE_AT: a large network on a
small corpus overfits, and does better with more dropout and a longer anneal), its epoch cap
set to twice what fits (HEADROOM) when annealed, else to what fits, and `--max-minutes` to the
budget. One line says what was chosen and why. The learning rate is annealed to the budget's
end (`--lr-schedule anneal`, the default): measured on KJV, the plateau schedule halved it
only in the last, cut epoch. Unless --ngram-order is given, the n-gram order is chosen too,
after training, on the held-out text (NGRAM_ORDERS, mixing.fit_ngram): it costs seconds of
counting and not training time, but a larger file.
"""

from __future__ import annotations

import math
import re
import statistics
import time

from ..config import Config
from ..errors import NextwordError

CANDIDATES = [(1, 128), (1, 256), (1, 384), (1, 512), (2, 512)]  # (layers, units), smallest first
MIN_EPOCHS = 5  # passes a network needs to come near its best (quality.py on KJV)
MAX_EPOCHS = 50  # early stopping ends sooner when validation stalls
# Of the budget, kept for the n-gram model, the mixture and saving: on KJV at 30 minutes these
# took about 150 s with 0.09 (a run ended at 29.9 minutes); once fit_ngram was about 30 s
# faster (the exponents' windows read once, 3 Newton steps instead of 6), a run with 0.08
# ended at 29.4 minutes, 100 s of them after training (2026-12-02).
RESERVE = 0.07
PROBE_STEPS = 6  # timed steps per candidate, after two that build and trace
# The probe's single steps judge bfloat16 against float32 poorly: on this project's 2-core
# machine (AMX) whole epochs of the 30-minute KJV run took 191-213 s in bfloat16 and 233-244 s
# in float32, while the probe measured bfloat16 0.92-1.27x float32's speed over ten runs and
# chose float32 in three of them. So bfloat16 is taken unless float32 measures more than this
# much faster (a CPU whose bfloat16 is slow measures it so).
BF16_MARGIN = 0.10
# Annealed, the run ends by its time limit (the schedule with it), so its epoch cap is this many
# times what the probe says fits: a few timed steps misjudge the speed (on KJV the probe once
# measured 2.8 steps/s for a network that then ran 4.4, and a cap of what fitted ended that
# 30-minute run after 18 minutes). An overestimate costs nothing: time ends the run.
HEADROOM = 2.0
# Dropout by the network's weights per training token (embedding + recurrent layers), from
# measurements on KJV: 1x384 (about 5 weights a token) made the best 10-minute model at 0.2;
# 2x512 (about 9) overfits at 0.2 once it gets 7 epochs (24.34 against 23.83 at 0.4), and did
# better still at 0.3 than at 0.4 in 30 minutes (23.36 and 23.33 in two runs against 23.83;
# benchmarks/README.md, "More levers at 30 minutes" and "Dropout 0.3"). Log-linear between;
# never below 0.2.
DROPOUT_AT = ((5.0, 0.2), (9.0, 0.3))
# The annealed share of the run (Anneal's `share`) by the same measure: with dropout 0.4 the
# 2x512 network on KJV (about 9 weights a token) came out best lowering the rate over the last
# 60% of 30 minutes (23.39 against 23.75 with 30%), while the default 1x256 recipe (about 3)
# did worse with 60% (25.85 against 25.68) and worse still with 100% (26.62). Log-linear between
# the two measured points, as DROPOUT_AT (benchmarks/README.md, "The anneal's share").
SHARE_AT = ((5.0, 0.3), (9.0, 0.6))
# The n-gram orders (lowest, highest) fitted after training when --ngram-order is not given; the
# lowest that mixes within 0.1% of the best on held-out text is kept (mixing.fit_ngram). On KJV
# orders 6-8 took perplexity from 23.14 to 22.99, 22.94, 22.93 (top-1 +0.17, +0.27, +0.33) and
# the file from 66 to 85, 106, 127 MB; counting order 8 takes 7 s of the budget.
NGRAM_ORDERS = (5, 8)


def parse(text: str) -> float:
    """'30m', '1h30m', '90s', '2h' or a number of minutes -> seconds."""
    value = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value) * 60
    else:
        parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?:in)?)?"
                             r"(?:(\d+(?:\.\d+)?)s)?", value)
        if not value or parts is None:
            raise NextwordError(f"--budget {text!r} is not a duration; write it like 30m, 1h30m "
                                "or 90s")
        hours, minutes, secs = (float(p) if p else 0.0 for p in parts.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds < 60:
        raise NextwordError(f"--budget must be at least one minute, got {text!r}")
    return seconds


NAMES = {"float32": "float32", "mixed_bfloat16": "bfloat16"}  # compute types, as the log says

CHOSEN = ("layers", "units", "embedding_dim", "dropout", "anneal_share", "epochs",
          "max_minutes")  # what it sets


def time_limit(budget: float) -> float:
    """The `--max-minutes` a budget of this many seconds sets: the budget less the RESERVE."""
    return budget * (1 - RESERVE) / 60


def describe(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:g} h"


def faster(speeds: dict) -> str:
    """The compute type to train in, from the probe's steps per second by type: bfloat16
    unless float32 measured more than BF16_MARGIN faster."""
    bf16 = "mixed_bfloat16"
    if bf16 in speeds and speeds[bf16] * (1 + BF16_MARGIN) >= max(speeds.values()):
        return bf16
    return max(speeds, key=speeds.get)


def candidate_config(config: Config, layers: int, units: int) -> Config:
    values = config.to_dict()
    values.update(layers=layers, units=units, embedding_dim=units)
    return Config.from_dict(values)


def weights(layers: int, units: int, vocab_size: int) -> int:
    """A tied GRU-sized network's weights: the embedding and each layer's gates."""
    return vocab_size * units + layers * 3 * (2 * units * units + 2 * units)


def by_size(points, layers: int, units: int, vocab_size: int, tokens: int) -> float:
    """A setting measured at two sizes of network against corpus, ((weights a token, value),
    (weights a token, value)): log-linear between them, held beyond."""
    (low_ratio, low), (high_ratio, high) = points
    ratio = weights(layers, units, vocab_size) / max(tokens, 1)
    along = (math.log(max(ratio, 1e-9)) - math.log(low_ratio)) / math.log(high_ratio / low_ratio)
    return round(low + (high - low) * min(max(along, 0.0), 1.0), 2)


def dropout_for(layers: int, units: int, vocab_size: int, tokens: int) -> float:
    """The dropout for a network of this size trained on this many tokens (DROPOUT_AT)."""
    return by_size(DROPOUT_AT, layers, units, vocab_size, tokens)


def anneal_share_for(layers: int, units: int, vocab_size: int, tokens: int) -> float:
    """The share of the run the annealed rate falls over, for this size (SHARE_AT)."""
    return by_size(SHARE_AT, layers, units, vocab_size, tokens)


def steps_per_second(config: Config, vocab_size: int, windows, sampled: bool,
                     dtype: str, steps: int = PROBE_STEPS) -> float:
    """Training steps per second of config's network here, timed on real batches."""
    import keras

    from .trainer import build_trainer

    keras.backend.clear_session()
    _, trainer = build_trainer(config, vocab_size, sampled=sampled, dtype=dtype)
    stream = windows.stream_batches if config.stateful else None
    batches = (stream(windows.train, config.batch_size) if stream
               else windows.batches(windows.train, config.batch_size, None))
    batches = [batch for batch, _ in zip(batches, range(steps + 2))]
    for inputs, labels in batches[:2]:  # builds and traces the step
        trainer.train_on_batch(inputs, labels)
    times = []
    for inputs, labels in batches[2:]:  # train_on_batch returns once the step is done
        started = time.perf_counter()
        trainer.train_on_batch(inputs, labels)
        times.append(time.perf_counter() - started)
    keras.backend.clear_session()
    # The median step: one step slowed by something else on the machine does not decide.
    return 1.0 / max(statistics.median(times or [1.0]), 1e-9)


def choose(config: Config, budget: float, vocab_size: int, windows, sampled: bool,
           dtypes: tuple, elapsed: float, log=print, measure=steps_per_second) -> Config:
    """Set config's layers, units, embedding size, dropout, annealed share, epochs and max
    minutes for the budget, and its compute type when unset.

    budget: seconds in all; elapsed: seconds already spent (reading the corpus). dtypes: the
    compute types to probe each candidate in ("float32", "mixed_bfloat16"); the faster is
    taken, and config.mixed_precision, if None, set to it. `measure` times a candidate config
    (tests pass a fake). Returns config, changed in place.
    """
    steps = len(windows.train) // config.batch_size or 1
    started = time.perf_counter()

    def probe(layers: int, units: int) -> tuple:
        candidate = candidate_config(config, layers, units)
        speeds = {dtype: measure(candidate, vocab_size, windows, sampled, dtype)
                  for dtype in dtypes}
        dtype = faster(speeds)
        left = budget * (1 - RESERVE) - elapsed - (time.perf_counter() - started)
        return layers, units, speeds, dtype, left * speeds[dtype] / steps

    # The smallest first (a short budget learns cheaply that nothing larger fits), then the
    # largest: on a long budget it fits and no other is probed (probing all five smallest
    # first took 53 s of a 30-minute KJV run); else the rest smallest first, as before.
    chosen, refused = probe(*CANDIDATES[0]), None
    if chosen[4] >= MIN_EPOCHS and len(CANDIDATES) > 1:
        largest = probe(*CANDIDATES[-1])
        if largest[4] >= MIN_EPOCHS:
            chosen = largest
        else:
            refused = largest[:2] + largest[4:]
            for layers, units in CANDIDATES[1:-1]:
                probed = probe(layers, units)
                if probed[4] < MIN_EPOCHS:
                    refused = (layers, units, probed[4])
                    break
                chosen = probed
    layers, units, speeds, dtype, epochs = chosen
    speed = speeds[dtype]
    config.layers, config.units, config.embedding_dim = layers, units, units
    if config.mixed_precision is None:  # not given: the probe chose the compute type
        config.mixed_precision = dtype == "mixed_bfloat16"
    tokens = len(windows.train) * windows.sequence_length
    config.dropout = dropout_for(layers, units, vocab_size, tokens)
    config.anneal_share = anneal_share_for(layers, units, vocab_size, tokens)
    # Annealed: room for a probe that under-measured (HEADROOM); the plateau schedule's run
    # ends with its last whole epoch that fits.
    whole = (math.ceil(epochs * HEADROOM) if config.lr_schedule == "anneal"
             else math.floor(epochs))
    config.epochs = max(1, min(MAX_EPOCHS, int(whole)))
    config.max_minutes = time_limit(budget)
    also = "".join(f", {other:.1f} in {NAMES[kind]}" for kind, other in speeds.items()
                   if kind != dtype)
    measured = f" in {NAMES[dtype]}{also}" if also else ""
    why = (f"{speed:.1f} steps/s measured here{measured}, {steps:,} steps an epoch: "
           f"{epochs:.1f} epochs fit")
    if refused:
        why += (f"; {refused[0]}x{refused[1]} would fit {refused[2]:.1f}, under the "
                f"{MIN_EPOCHS} a network needs")
    elif epochs < MIN_EPOCHS:
        why += f", under the {MIN_EPOCHS} a network needs: the smallest network"
    log(f"budget {describe(budget)}: {summary(config, dtype)} ({why})")
    return config


def restore(config: Config, saved: dict, budget: float) -> Config:
    """Set config to what the budget chose when the run now resumed began (saved: its backup's
    options), instead of probing again. The time limit is a free option, which a backup does
    not hold: it comes from the budget, as choose() set it."""
    for name in CHOSEN:
        if name in saved:
            setattr(config, name, saved[name])
    config.max_minutes = time_limit(budget)
    if config.mixed_precision is None:  # the probe's choice, unless given
        config.mixed_precision = saved.get("mixed_precision")
    return config


def summary(config: Config, dtype: str) -> str:
    """What the budget chose, in words: 'gru 2x512, embedding 512, dropout 0.3, ...'; dtype:
    the compute type it trains in."""
    annealed = (f", annealed over the last {100 * config.anneal_share:.0f}%"
                if config.lr_schedule == "anneal" else "")
    precision = f", {NAMES[dtype]}" if dtype != "float32" else ""
    return (f"{config.cell} {config.layers}x{config.units}, embedding {config.embedding_dim}, "
            f"dropout {config.dropout:g}{precision}, up to {config.epochs} epochs{annealed}")

