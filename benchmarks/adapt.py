"""Adapting a model to the user's text: the default KJV model meets Shakespeare.

The first 90% of tiny Shakespeare's lines are the user's text, the last 10% are held out.
Keystroke savings with 3 suggestions on the held-out part (nextword/keystrokes.py), for:

- the KJV model as it is;
- after `nextword learn` on the 90% (the user layer, no training; its time is measured);
- after `nextword train 90% --from KJV --max-minutes 3` (continued training);
- a model trained on the 90% from scratch for 10 minutes (the default recipe otherwise).

Both training runs are capped by time, not epochs (--epochs 1000): the time limit or early
stopping (patience 2) ends them.

Training runs through the command line, one at a time; the learn step runs in process.

    python benchmarks/adapt.py [--base models/nextword.keras] [--out-dir /tmp/adapt]
        [--from-minutes 3] [--scratch-minutes 10] [--skip-training]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

SHAKESPEARE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                           "tinyshakespeare", "input.txt")


def split(source: str, folder: str) -> tuple[str, str]:
    """The first 90% of lines and the last 10%, as two files in folder."""
    with open(source, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    cut = int(len(lines) * 0.9)
    paths = os.path.join(folder, "shakespeare.train.txt"), os.path.join(folder,
                                                                         "shakespeare.valid.txt")
    for path, part in zip(paths, (lines[:cut], lines[cut:])):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(part) + "\n")
    return paths


def nextword(*args) -> float:
    """Run a nextword command; returns its wall time in seconds."""
    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    started = time.perf_counter()
    subprocess.run([script, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(path: str, valid: str) -> dict:
    """Keystroke savings (3 suggestions), perplexity and top-1 of a model on the held-out text."""
    import nextword as nw
    from nextword.engine.evaluation import evaluate
    from nextword.engine.keystrokes import simulate

    predictor = nw.load(path)
    typed = simulate(predictor, [valid], [3])[3]
    scored = evaluate(predictor, [valid])
    return {"keystroke_savings": typed.savings, "perplexity": scored.perplexity,
            "top1": scored.top1_accuracy, "unknown_rate": scored.unknown_rate,
            "vocabulary": len(predictor.vocabulary)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="models/nextword.keras")
    parser.add_argument("--text", default=SHAKESPEARE)
    parser.add_argument("--out-dir", default="/tmp/nextword-adapt")
    parser.add_argument("--from-minutes", type=float, default=3.0)
    parser.add_argument("--scratch-minutes", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=1000,
                        help="the epoch cap of both training runs (default: only the time "
                             "limit and early stopping end them)")
    parser.add_argument("--skip-training", action="store_true",
                        help="only the base model and learn (no --from, no scratch model)")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    train, valid = split(args.text, args.out_dir)
    rows = []

    def report(name, path, seconds, note=""):
        row = dict(measure(path, valid), model=name, seconds=seconds, note=note)
        rows.append(row)
        print(json.dumps(row), flush=True)

    report("KJV model as it is", args.base, 0.0)
    learned = os.path.join(args.out_dir, "learned.keras")
    shutil.copy(args.base, learned)
    import nextword as nw

    predictor = nw.load(learned)
    started = time.perf_counter()
    predictor.learn_files([train])
    seconds = time.perf_counter() - started
    predictor.save()
    report("after `nextword learn` on the 90%", learned, seconds, "in process, load excluded")
    learn_cli = os.path.join(args.out_dir, "learned-cli.keras")
    shutil.copy(args.base, learn_cli)
    seconds = nextword("learn", train, "-m", learn_cli)
    print(f"`nextword learn` on the command line, start to saved file: {seconds:.1f} s")
    if not args.skip_training:
        continued = os.path.join(args.out_dir, "continued.keras")
        seconds = nextword("train", train, "--from", args.base, "-o", continued,
                           "--max-minutes", str(args.from_minutes), "--epochs",
                           str(args.epochs), "--no-plot")
        report(f"`train --from` KJV, {args.from_minutes:g} minutes", continued, seconds,
               "wall time of the command")
        scratch = os.path.join(args.out_dir, "scratch.keras")
        seconds = nextword("train", train, "-o", scratch, "--max-minutes",
                           str(args.scratch_minutes), "--epochs", str(args.epochs), "--no-plot")
        report(f"trained on the 90% from scratch, {args.scratch_minutes:g} minutes", scratch,
               seconds, "wall time of the command")
    print(f"\nkeystroke savings with 3 suggestions on the last 10% of {args.text}\n")
    print("| model | keystroke savings | perplexity | top-1 | unknown words | vocabulary | "
          "seconds |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['model']} | {100 * row['keystroke_savings']:.2f}% | "
              f"{row['perplexity']:.1f} | {100 * row['top1']:.2f}% | "
              f"{100 * row['unknown_rate']:.2f}% | {row['vocabulary']:,} | "
              f"{row['seconds']:.1f} |")


if __name__ == "__main__":
    main()
