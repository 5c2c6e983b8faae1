"""Corpora bigger than memory: the vocabulary pass and training on 100 million tokens.

Writes a synthetic corpus (kjv.train.txt, its lines shuffled, repeated to --tokens tokens) to a
temporary folder, then in separate processes (so each peak RSS is its own) runs the streaming
vocabulary pass and a short training run (--steps steps), and prints a table.

    python benchmarks/scale.py [--tokens 100000000] [--steps 300]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "data", "kjv.train.txt")


def write_corpus(folder, tokens_wanted, seed=0):
    with open(SOURCE, encoding="utf-8") as handle:
        lines = handle.readlines()
    tokens_per_pass = sum(len(line.split()) + 1 for line in lines)
    rng = random.Random(seed)
    path = os.path.join(folder, "big.txt")
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < tokens_wanted:
            rng.shuffle(lines)
            out.writelines(lines)
            written += tokens_per_pass
    return path, written


def child_scan(path):
    from nextword.text.scan import scan_corpus

    started = time.perf_counter()
    scan = scan_corpus([path], forms=False)  # as `nextword preprocess` reads it
    seconds = time.perf_counter() - started
    words = scan.tokens - scan.counts.get("<eol>", 0)
    return {"seconds": seconds, "tokens": scan.tokens, "words_per_second": words / seconds,
            "vocabulary": len(scan.counts)}


def child_train(path, steps):
    from nextword import Config
    from nextword.training.pipeline import train

    config = Config(epochs=1, max_minutes=0, validation_split=0.001)
    # A few hundred steps: train on the corpus, stopping after `steps` batches.
    import keras

    class StopAfter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch + 1 >= steps:
                self.model.stop_training = True

    started = time.perf_counter()
    output = os.path.join(os.path.dirname(path), "big.keras")
    result = train([path], config, output, verbose=0, log=lambda line: None,
                   extra_callbacks=[StopAfter()])
    return {"seconds": time.perf_counter() - started, "epochs": result.epochs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000_000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path = args.child
        result = child_scan(path) if kind == "scan" else child_train(path, args.steps)
        result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        # Tokenising worker processes (corpora over 16 MB): the largest of them.
        result["worker_rss_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="nextword-scale-") as folder:
        path, tokens = write_corpus(folder, args.tokens)
        size = os.path.getsize(path) / 2**20
        results = {}
        for kind in ("scan", "train"):
            output = subprocess.run([sys.executable, __file__, "--child", kind, path,
                                     "--steps", str(args.steps)],
                                    capture_output=True, text=True, check=True)
            results[kind] = json.loads(output.stdout.strip().splitlines()[-1])
    scan, fit = results["scan"], results["train"]
    print(f"synthetic corpus: {tokens:,} tokens, {size:,.0f} MiB\n")
    print("| stage | time | peak RSS (main process) | largest worker | speed |")
    print("|---|---|---|---|---|")
    print(f"| vocabulary pass (preprocess) | {scan['seconds']:.0f} s | "
          f"{scan['peak_rss_gb']:.2f} GB | {scan['worker_rss_gb']:.2f} GB | "
          f"{scan['words_per_second'] / 1e6:.2f}M words/s |")
    print(f"| train: pass, encode, {args.steps} steps | {fit['seconds']:.0f} s | "
          f"{fit['peak_rss_gb']:.2f} GB | {fit['worker_rss_gb']:.2f} GB | |")


if __name__ == "__main__":
    main()
