"""Prediction latency: in-process predict of a 20-word prefix, and a cold `nextword predict`.

Uses the model at --model when it exists (default models/nextword.keras), else a random-weight
model of the default size over 10,000 words (latency does not depend on what was learned).

    python benchmarks/latency.py [--model models/nextword.keras] [--calls 300]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

PREFIX = ("and it came to pass after these things that god did tempt abraham and said unto "
          "him abraham and he")  # 20 words


def random_model(path):
    from nextword import Config
    from nextword._tf import quiet_tensorflow
    from nextword.vocab import SPECIALS, Vocabulary

    quiet_tensorflow()
    from nextword import storage
    from nextword.model import build_model, build_predictor_model

    config = Config()
    words = sorted(set(PREFIX.split())) + [f"w{i}" for i in range(10000)]
    vocabulary = Vocabulary(list(SPECIALS) + words[:10000 - 3])
    model = build_predictor_model(build_model(config, len(vocabulary)), vocabulary)
    storage.save(model, {"config": config.to_dict()}, path)


def percentile(values, q):
    return float(np.percentile(values, q))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    path = args.model
    if not os.path.exists(path):
        path = os.path.join(scratch.name, "random.keras")
        random_model(path)
    import nextword

    predictor = nextword.load(path)
    for _ in range(10):
        predictor.predict(PREFIX)
    timings = []
    for _ in range(args.calls):
        started = time.perf_counter()
        predictor.predict(PREFIX)
        timings.append((time.perf_counter() - started) * 1000)

    def cold(command):
        runs = []
        for _ in range(args.cold_runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    cold_cli = cold([script, "predict", PREFIX, "-m", path])
    cold_import = cold([sys.executable, "-c", "import tensorflow"])
    print(f"model: {path} ({len(predictor.vocabulary):,} words, {predictor.config.layers}x"
          f"{predictor.config.units} {predictor.config.cell})\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| in-process predict, 20-word prefix, median | {statistics.median(timings):.2f} ms |")
    print(f"| in-process predict, p95 | {percentile(timings, 95):.2f} ms |")
    print(f"| cold `nextword predict` process, median of {args.cold_runs} | {cold_cli:.2f} s |")
    print(f"| `python -c 'import tensorflow'`, median | {cold_import:.2f} s |")
    print(f"| cold CLI beyond the TensorFlow import | {cold_cli - cold_import:.2f} s |")


if __name__ == "__main__":
    main()
