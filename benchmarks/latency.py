"""Prediction latency: in-process predict/complete/step, and a cold `nextword predict`.

Uses the model at --model when it exists (default models/nextword.keras), else a random-weight
model of the default size over 10,000 words (latency does not depend on what was learned).
Every figure comes from the same run, so the ratios hold across machines of different speed:

- cold `nextword predict` against a bare `python -c "import tensorflow"` (goal <= 0.15x);
- one prediction step with the n-gram mixture against the network alone (goal <= 1.3x);
- `complete` of a word being typed against `predict` of the same context (goal <= 1.2x);
- a keystroke with correction (`complete` of "sadi", a typo of "said", after the same
  context: the noisy channel's candidates scored) against a plain completion ("sa")
  (goal <= 1.5x);
- a space typed after a word, answered with the next words and a phrase against the next
  words alone: each text new, its context's state kept from the keystroke before, as when
  typing (the words of data/kjv.valid.raw.txt's lines, or of the 20-word prefix).

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
TYPED = PREFIX + " sa"  # "said" being typed
TYPO = PREFIX + " sadi"  # "said" mistyped: no word begins with it, a correction is needed


def random_model(path):
    from nextword import Config
    from nextword.network._tf import quiet_tensorflow
    from nextword.text.vocab import SPECIALS, Vocabulary

    quiet_tensorflow()
    from nextword import storage
    from nextword.network.model import build_model, build_predictor_model

    config = Config()
    words = sorted(set(PREFIX.split()) | {"said"}) + [f"w{i}" for i in range(10000)]
    vocabulary = Vocabulary(list(SPECIALS) + words[:10000 - 3])
    model = build_predictor_model(build_model(config, len(vocabulary)), vocabulary)
    storage.save(model, {"config": config.to_dict()}, path)


def paired_timings(first, second, calls):
    """Timings of two functions called in alternation, so both see the same machine load."""
    for _ in range(10):
        first(), second()
    times = ([], [])
    for _ in range(calls):
        for function, out in zip((first, second), times):
            started = time.perf_counter()
            function()
            out.append((time.perf_counter() - started) * 1000)
    return times


def word_boundaries(count):
    """`count` different texts that end with a word and a space, from held-out lines."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                        "kjv.valid.raw.txt")
    lines = [PREFIX]
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    texts = []
    for line in lines:
        words = line.split()
        texts += [" ".join(words[:i]) + " " for i in range(1, len(words))]
        if len(texts) >= count:
            break
    return texts[:count]


def one_step(predictor):
    """A function that feeds one token from a carried state and returns the probabilities."""
    ids = np.array([predictor.encode(PREFIX)], dtype=np.int32)
    _, state = predictor.advance(ids[:, :-1])
    return lambda: predictor._next(ids[:, -1:], state)


def cold(command, runs):
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        out.append(time.perf_counter() - started)
    return statistics.median(out)


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
    alone = nextword.load(path, ngram=False)
    predict, complete = paired_timings(lambda: predictor.predict(PREFIX),
                                       lambda: predictor.complete(TYPED), args.calls)
    step_mixed, step_alone = paired_timings(one_step(predictor), one_step(alone),
                                            args.calls * 3)
    plain, corrected = paired_timings(lambda: predictor.complete(TYPED),
                                      lambda: predictor.complete(TYPO), args.calls)
    correction = predictor.complete(TYPO, 1)
    boundaries = word_boundaries(args.calls)
    words_only, with_phrase = nextword.load(path), nextword.load(path)
    spaced, phrased = [], []
    for text in boundaries:  # in alternation; each predictor types the word first
        for timed, out, phrases in ((words_only, spaced, False), (with_phrase, phrased, True)):
            timed.suggest(text.rstrip(), 3, phrases=phrases)
            started = time.perf_counter()
            timed.suggest(text, 3, phrases=phrases)
            out.append((time.perf_counter() - started) * 1000)
    if not predictor.ngram:
        step_mixed = None
    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    cold_cli = cold([script, "predict", PREFIX, "-m", path], args.cold_runs)
    cold_import = cold([sys.executable, "-c", "import tensorflow"], args.cold_runs)
    median = statistics.median
    print(f"model: {path} ({len(predictor.vocabulary):,} words, {predictor.config.layers}x"
          f"{predictor.config.units} {predictor.config.cell}, n-gram order "
          f"{predictor.ngram.order if predictor.ngram else 0})\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| in-process predict, 20-word prefix, median | {median(predict):.2f} ms |")
    print(f"| in-process predict, p95 | {np.percentile(predict, 95):.2f} ms |")
    print(f"| in-process complete of \"sa\" after the same prefix, median | "
          f"{median(complete):.2f} ms ({median(complete) / median(predict):.2f}x predict) |")
    print(f"| keystroke with correction (\"sadi\" -> {correction[0][0] if correction else '-'}), "
          f"median | {median(corrected):.2f} ms ({median(corrected) / median(plain):.2f}x a "
          f"plain completion, {median(plain):.2f} ms) |")
    print(f"| a space after a word: next words, median | {median(spaced):.2f} ms |")
    print(f"| a space after a word: next words and a phrase, median | {median(phrased):.2f} ms "
          f"({median(phrased) / median(spaced):.2f}x; p95 {np.percentile(phrased, 95):.2f} ms) |")
    print(f"| one step, network alone, median | {median(step_alone):.3f} ms |")
    if step_mixed:
        print(f"| one step with the n-gram mixture, median | {median(step_mixed):.3f} ms "
              f"(+{100 * (median(step_mixed) / median(step_alone) - 1):.0f}%) |")
    print(f"| cold `nextword predict` process, median of {args.cold_runs} | {cold_cli:.2f} s |")
    print(f"| `python -c 'import tensorflow'`, median | {cold_import:.2f} s |")
    print(f"| cold CLI / TensorFlow import | {cold_cli / cold_import:.2f}x |")


if __name__ == "__main__":
    main()
