"""Model quality on contiguous text against the model's own 5-gram and KenLM.

Corpora:
  kjv          ../shared/data/kjv/kjv.train.txt, scored on kjv.valid.txt, with the closed
               vocabulary of ../shared/data/README.md (every word seen at least twice), beside
               the README's KenLM 5-gram figures;
  shakespeare  ../shared/data/tinyshakespeare/input.txt: the first 90% of its lines train, the
               last 10% are scored (word level, `nextword train`'s default tokenisation).

Each (corpus, mode, cell) is trained within the same wall-clock limit (`--minutes`, the whole
`train()` call: reading, training, counting the n-gram and fitting the mixture) or chooses its
network for a `--budget`, in the window mode (`--windows`: shuffled windows from a zero state)
and the stateful mode (`--stateful`: state carried from window to window), and is scored under
the KenLM convention (every token, one end-of-line token per line, unknown-token targets
included, the state carried through the whole file): as shipped (network + n-gram mixture),
the network alone and its own n-gram alone; with --keystrokes also keystroke savings with 3
suggestions (each line typed from its start, as a keyboard does).

    python benchmarks/quality.py --corpus kjv shakespeare --modes windows stateful --minutes 10
    python benchmarks/quality.py --corpus kjv --modes windows --budget 30m --lr-schedule anneal
"""

import argparse
import os
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")
LOCAL = os.path.join(HERE, "..", "data")
KENLM = {"perplexity": 37.0, "top1": 0.345, "top3": 0.506, "seconds": 2}
OPTIONS = ("units", "embedding_dim", "sampled_softmax", "batch_size", "sequence_length",
           "learning_rate", "dropout", "layers", "ngram_order", "lr_schedule", "anneal_share",
           "patience")


def find(*names):
    for folder in (SHARED, LOCAL):
        path = os.path.join(folder, *names)
        if os.path.exists(path):
            return path
        path = os.path.join(folder, names[-1])
        if os.path.exists(path):
            return path
    raise SystemExit(f"cannot find {os.path.join(*names)} in {SHARED} or {LOCAL}")


def corpus_files(name, scratch):
    """(training file, scored file) of a corpus."""
    if name == "kjv":
        return find("kjv", "kjv.train.txt"), find("kjv", "kjv.valid.txt")
    with open(find("tinyshakespeare", "input.txt"), encoding="utf-8") as handle:
        lines = handle.read().splitlines(keepends=True)
    cut = int(len(lines) * 0.9)
    paths = (os.path.join(scratch, "shakespeare.train.txt"),
             os.path.join(scratch, "shakespeare.valid.txt"))
    for path, part in zip(paths, (lines[:cut], lines[cut:])):
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(part)
    return paths


def percent(value):
    return f"{100 * value:.2f}%"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs="+", default=["kjv", "shakespeare"],
                        choices=["kjv", "shakespeare"])
    parser.add_argument("--modes", nargs="+", default=["windows", "stateful"],
                        choices=["windows", "stateful"])
    parser.add_argument("--cells", nargs="+", default=["gru"])
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="Wall-clock limit of each run (--max-minutes; no epoch limit).")
    parser.add_argument("--budget", default=None,
                        help="Let `train --budget` choose each network for this time instead.")
    parser.add_argument("--keystrokes", action="store_true",
                        help="Also the keystroke savings with 3 suggestions.")
    parser.add_argument("--keep", default=None, help="Keep the model files in this folder.")
    for name in OPTIONS:
        kind = {"learning_rate": float, "dropout": float, "lr_schedule": str,
                "anneal_share": float}.get(name, int)
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=None)
    args = parser.parse_args()

    import nextword
    from nextword import Config
    from nextword.engine.evaluation import evaluate
    from nextword.engine.keystrokes import simulate
    from nextword.training.budget import parse
    from nextword.training.pipeline import train

    budget = parse(args.budget) if args.budget else None
    limit = f"budget {args.budget}" if budget else f"{args.minutes:g} min"
    tables = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or scratch
        os.makedirs(folder, exist_ok=True)
        for corpus in args.corpus:
            train_path, valid_path = corpus_files(corpus, scratch)
            rows = tables.setdefault(corpus, [])
            for mode in args.modes:
                for cell in args.cells:
                    config = Config(cell=cell, max_vocab=100000, epochs=1000,
                                    max_minutes=args.minutes, stateful=mode == "stateful")
                    for name in OPTIONS:
                        if getattr(args, name) is not None:
                            setattr(config, name, getattr(args, name))
                    output = os.path.join(folder, f"{corpus}-{mode}-{cell}.keras")
                    started = time.time()
                    result = train([train_path], config, output, verbose=0,
                                   log=lambda line: None, plot=False, budget=budget)
                    seconds = time.time() - started
                    predictor = nextword.load(output)
                    trained = predictor.config  # as the run resolved it (the budget's choice)
                    mixed = evaluate(predictor, [valid_path])
                    alone = evaluate(nextword.load(output, ngram=False), [valid_path])
                    weights = predictor.mixture.copy()
                    predictor.mixture[:] = 0.0  # the n-gram model alone
                    ngram = evaluate(predictor, [valid_path])
                    predictor.mixture[:] = weights
                    typed = (simulate(predictor, [valid_path], [3])[3].savings
                             if args.keystrokes else None)
                    rows.append(dict(mode=mode, cell=cell, size=f"{trained.layers}x{trained.units}",
                                     mixed=mixed, alone=alone, ngram=ngram, typed=typed,
                                     seconds=seconds, epochs=result.epochs,
                                     schedule=trained.lr_schedule))
                    print(f"{corpus} {mode} {cell} {trained.layers}x{trained.units}: perplexity "
                          f"{mixed.perplexity:.2f} (5-gram {ngram.perplexity:.2f}), top-1 "
                          f"{percent(mixed.top1_accuracy)}, {result.epochs} epochs, "
                          f"{seconds / 60:.1f} min", flush=True)
    for corpus, rows in tables.items():
        print(f"\n{corpus} ({rows[0]['mixed'].tokens:,} tokens scored), {limit} per run; "
              "perplexity / top-1 / top-5 of the model as shipped (network + its n-gram)\n")
        print("| mode | network | schedule | epochs | minutes | perplexity | top-1 | top-5 | "
              "keystroke savings (3) | network alone | its 5-gram alone | below the 5-gram |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        if corpus == "kjv":
            print(f"| KenLM 5-gram KN | | | | {KENLM['seconds']} s | {KENLM['perplexity']} | "
                  f"{100 * KENLM['top1']:.1f}% | (top-3 {100 * KENLM['top3']:.1f}%) | | | | |")
        for row in rows:
            mixed, ngram = row["mixed"], row["ngram"]
            typed = percent(row["typed"]) if row["typed"] is not None else ""
            print(f"| {row['mode']} | {row['cell']} {row['size']} | {row['schedule']} | "
                  f"{row['epochs']} | {row['seconds'] / 60:.1f} | {mixed.perplexity:.2f} | "
                  f"{percent(mixed.top1_accuracy)} | {percent(mixed.top5_accuracy)} | {typed} | "
                  f"{row['alone'].perplexity:.2f} / {percent(row['alone'].top1_accuracy)} | "
                  f"{ngram.perplexity:.2f} | "
                  f"{100 * (1 - mixed.perplexity / ngram.perplexity):.1f}% |")


if __name__ == "__main__":
    main()
