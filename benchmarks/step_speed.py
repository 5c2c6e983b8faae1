"""Training speed of one network under several batch sizes, compute types and softmaxes.

What `--budget`'s probe measures (budget.steps_per_second: real training steps, after two that
build and trace), for settings the probe does not vary. Tokens per second is what buys epochs:
on a CPU a small batch leaves the recurrent matrix products too thin to run fast.

    python benchmarks/step_speed.py --layers 2 --units 512 --batch-sizes 32 64 128 \
        --dtypes float32 mixed_bfloat16 [--full-softmax] [--windows] [--against-keras]

--against-keras times each setting with fastrnn.py's recurrent layers and with Keras's own
(training uses the first in bfloat16 only), alternating the two --repeats times, and prints
the medians and their ratio; without it, each setting is timed as training would run it.

Random ids over an 8,261-word vocabulary (KJV's) stand in for a corpus: speed does not
depend on the words. bfloat16 is used only where the CPU has bf16 units (AVX512_BF16/AMX);
elsewhere TensorFlow emulates it slowly.
"""

import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--units", type=int, default=512)
    parser.add_argument("--cell", default="gru")
    parser.add_argument("--vocab", type=int, default=8261)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--dtypes", nargs="+", default=["float32"])
    parser.add_argument("--full-softmax", action="store_true",
                        help="also time the full softmax (default: sampled, as training uses)")
    parser.add_argument("--samples", type=int, nargs="+", default=[1024],
                        help="sampled softmax sizes (--sampled-softmax) to time")
    parser.add_argument("--sequence-lengths", type=int, nargs="+", default=[32],
                        help="tokens per window (--sequence-length) to time")
    parser.add_argument("--windows", action="store_true", help="shuffled windows, not streams")
    parser.add_argument("--steps", type=int, default=6, help="timed steps per setting")
    parser.add_argument("--against-keras", action="store_true",
                        help="also time Keras's own recurrent layers (fastrnn.py's baseline)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating timings of each with --against-keras")
    args = parser.parse_args()

    from nextword.config import Config
    from nextword.training import budget, trainer
    from nextword.training.windows import Windows

    ids = np.random.default_rng(0).integers(0, args.vocab, 900_000).astype(np.int32)
    windows_of = {length: Windows(ids, length, 0.05, 1337, block=1 if args.windows else 16)
                  for length in args.sequence_lengths}
    softmaxes = list(args.samples) + ([0] if args.full_softmax else [])

    def measure(config, sampled, dtype, fast=None):
        """Steps a second; fast True/False: with fastrnn.py's layers or Keras's, whatever
        the compute type (None: as training chooses)."""
        if fast is not None:
            trainer.FAST_DTYPES = (dtype,) if fast else ()
        return budget.steps_per_second(config, args.vocab, windows_of[config.sequence_length],
                                       sampled, dtype, steps=args.steps)

    print("network | batch | window | compute | softmax | " + (
        "steps/s Keras's layers | fastrnn.py | ratio" if args.against_keras
        else "steps/s | tokens/s"))
    settings = [(size, length, dtype, sampled) for size in args.batch_sizes
                for length in args.sequence_lengths for dtype in args.dtypes
                for sampled in softmaxes]
    for size, length, dtype, sampled in settings:
        config = budget.candidate_config(
            Config(cell=args.cell, batch_size=size, sequence_length=length,
                   stateful=not args.windows, sampled_softmax=sampled or 1024),
            args.layers, args.units)
        row = (f"{args.layers}x{args.units} {args.cell} | {size} | {length} | {dtype} | "
               f"{f'sampled {sampled}' if sampled else 'full'}")
        sampled = bool(sampled)
        if args.against_keras:
            times = {False: [], True: []}
            for _ in range(args.repeats):
                for fast in times:
                    times[fast].append(measure(config, sampled, dtype, fast))
            slow, quick = (float(np.median(times[fast])) for fast in (False, True))
            print(f"{row} | {slow:.2f} | {quick:.2f} | {quick / slow:.2f}", flush=True)
        else:
            speed = measure(config, sampled, dtype)
            print(f"{row} | {speed:.2f} | {speed * size * length:,.0f}", flush=True)


if __name__ == "__main__":
    main()
