"""Model quality on the King James Bible against a 5-gram Kneser-Ney model (KenLM).

Trains each cell on kjv.train.txt with the closed vocabulary of ../shared/data/README.md
(every word seen at least twice), each within the same wall-clock budget, evaluates on
kjv.valid.txt under the same convention as the KenLM figures (every token, one end-of-line
token per line, unknown-token targets included), and prints a table beside KenLM's. Each model
is scored as shipped (the network mixed with the 5-gram model counted in the same pass, fitted
on held-out windows) and as the network alone; the first model's n-gram is also scored alone.
The budget covers everything `nextword train` does: reading, training, counting and fitting.

    python benchmarks/quality.py --minutes 30 --cells lstm gru simplernn [-- extra train options]
"""

import argparse
import os
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data", "kjv")
LOCAL = os.path.join(HERE, "..", "data")
KENLM = {"perplexity": 37.0, "top1": 0.345, "top3": 0.506, "seconds": 2}


def corpus(name):
    for folder in (SHARED, LOCAL):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"cannot find {name} in {SHARED} or {LOCAL}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0,
                        help="Wall-clock training budget for each cell (at most 30).")
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "simplernn"])
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument("--embedding-dim", type=int, default=None)
    parser.add_argument("--sampled-softmax", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--sequence-length", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--layers", type=int, default=None)
    parser.add_argument("--ngram-order", type=int, default=None)
    args = parser.parse_args()

    import nextword
    from nextword import Config
    from nextword.metrics import evaluate
    from nextword.training import train

    train_path, valid_path = corpus("kjv.train.txt"), corpus("kjv.valid.txt")
    rows, ngram_rows = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for cell in args.cells:
            config = Config(cell=cell, min_count=2, max_vocab=100000, epochs=1000, patience=3,
                            max_minutes=args.minutes)
            for name in ("units", "embedding_dim", "sampled_softmax", "batch_size",
                         "sequence_length", "learning_rate", "dropout", "layers",
                         "ngram_order"):
                if getattr(args, name) is not None:
                    setattr(config, name, getattr(args, name))
            output = os.path.join(scratch, f"{cell}.keras")
            started = time.time()
            result = train([train_path], config, output, verbose=0, log=lambda line: None)
            seconds = time.time() - started
            name = f"nextword {cell} {config.layers}x{config.units}"
            predictor = nextword.load(output)
            if predictor.ngram is not None and not ngram_rows:
                weights = predictor.mixture.copy()
                predictor.mixture[:] = 0.0  # the n-gram model alone
                ngram_rows.append((f"nextword {predictor.ngram.order}-gram KN alone",
                                   evaluate(predictor, [valid_path]), None, ""))
                predictor.mixture[:] = weights
            evaluation = evaluate(predictor, [valid_path])
            suffix = f" + {predictor.ngram.order}-gram" if predictor.ngram is not None else ""
            rows.append((name + suffix, evaluation, seconds, result.epochs))
            if predictor.ngram is not None:
                alone = evaluate(nextword.load(output, ngram=False), [valid_path])
                rows.append((name + ", network alone", alone, seconds, result.epochs))
            print(f"{cell}: perplexity {evaluation.perplexity:.1f}, top-1 "
                  f"{100 * evaluation.top1_accuracy:.1f}%, {seconds / 60:.1f} min", flush=True)
    print(f"\nkjv.valid.txt ({rows[0][1].tokens:,} tokens), vocabulary of words seen twice in "
          f"kjv.train.txt; budget {args.minutes:g} min per model on this machine\n")
    print("| model | valid perplexity | top-1 | top-5 | training time | epochs |")
    print("|---|---|---|---|---|---|")
    print(f"| KenLM 5-gram KN | {KENLM['perplexity']} | {100 * KENLM['top1']:.1f}% | "
          f"(top-3 {100 * KENLM['top3']:.1f}%) | {KENLM['seconds']} s | |")
    for name, evaluation, seconds, epochs in ngram_rows + rows:
        took = "(in the same pass)" if seconds is None else f"{seconds / 60:.1f} min"
        print(f"| {name} | {evaluation.perplexity:.1f} | {100 * evaluation.top1_accuracy:.1f}% "
              f"| {100 * evaluation.top5_accuracy:.1f}% | {took} | {epochs} |")


if __name__ == "__main__":
    main()
