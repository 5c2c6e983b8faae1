"""Speed of the n-gram model: counting and building it, and scoring with it.

    python benchmarks/ngram_speed.py data/kjv.train.txt --orders 5 8

For each order: the time to count the corpus's n-grams and build the table (NGramTable.build,
best of --repeats), `distributions` of --rows histories (the (rows, vocabulary) array that
evaluation mixes), `probabilities_of` the same rows' next ids (what fitting the mixture needs)
and one `lookup` (what a prediction step does). The corpus is read and numbered as `train`
does (default options). Run it with the tree to measure on PYTHONPATH to compare two versions.
"""

import argparse
import tempfile
import time

import numpy as np


def best_of(repeats, work):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--orders", type=int, nargs="+", default=[5, 8])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from nextword.config import Config
    from nextword.ngram.kneser_ney import NGramTable
    from nextword.training import pipeline as training

    quiet = lambda *a: None  # noqa: E731
    config = Config()
    scan = training.read_corpus([args.corpus], config, tempfile.mkdtemp(), None, quiet)
    vocabulary, windows = training.make_windows(scan, config, tempfile.mkdtemp(), quiet)
    ids = np.asarray(windows.ids)
    positions = np.random.default_rng(0).integers(8, len(ids) - 1, args.rows)
    print("| order | entries | build s | distributions s | probabilities_of s | lookup us |")
    print("|---|---|---|---|---|---|")
    for order in args.orders:
        build, table = best_of(args.repeats, lambda: NGramTable.build(ids, len(vocabulary),
                                                                      order))
        history = ids[positions[:, None] + np.arange(1 - order, 0)]
        dense, _ = best_of(1, lambda: table.distributions(history))
        sparse, _ = best_of(1, lambda: table.probabilities_of(history, ids[positions])) \
            if hasattr(table, "probabilities_of") else (float("nan"), None)  # older trees
        lookup, _ = best_of(1, lambda: [table.lookup(row) for row in history[:2000]])
        print(f"| {table.order} | {table.entries:,} | {build:.2f} | {dense:.2f} | "
              f"{sparse:.3f} | {lookup / 2000 * 1e6:.0f} |", flush=True)


if __name__ == "__main__":
    main()
