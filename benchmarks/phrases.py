"""Phrase suggestions, measured as Smart Compose is measured.

At every word start of each held-out line (a fresh line each) the engine's phrase is compared
with the text's next tokens (case aside), for several thresholds, and for two ways of scoring a
phrase: its probability (the engine's) and its length-normalised probability (its tokens'
geometric mean). Reported per threshold: how often a phrase is offered, how often it is exact
to its last word (precision), ExactMatch@N for N = 1..5 (of the phrases of N words or more,
those whose first N words are the text's), and exact words per word start. Then a typist
types the text as written (the raw convention, 3 suggestions), with single words only and
with phrases too (a phrase taken in one keystroke when the text goes on with it), at the
engine's threshold and those given with --typist-thresholds.

    python benchmarks/phrases.py --model models/nextword.keras --text data/kjv.valid.raw.txt \\
        [--lines N] [--typist-thresholds 0.3 0.5]
"""

import argparse
import os
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--text", default="data/kjv.valid.raw.txt")
    parser.add_argument("--lines", type=int, default=0, help="only the first N lines")
    parser.add_argument("--typist-thresholds", type=float, nargs="*", default=None,
                        help="thresholds the typist types with (default: the engine's)")
    parser.add_argument("--suggestions", type=int, default=3)
    args = parser.parse_args()
    import nextword
    from nextword.engine import phrases
    from nextword.engine.keystrokes import simulate

    predictor = nextword.load(args.model)
    with open(args.text, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
    if args.lines:
        lines = lines[:args.lines]
    text = [line for line in lines if line.strip()]
    started = time.perf_counter()
    found = list(phrases.continuations(predictor, text))
    print(f"{len(found):,} word starts, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(f"phrases on {args.text}" + (f" (first {args.lines} lines)" if args.lines else "")
          + f"; model {args.model}\n")
    print("| score | threshold | offered (of word starts) | exact to the last word | "
          "ExactMatch@1 | @2 | @3 | @4 | @5 | exact words per word start |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for normalised in (False, True):
        measured = phrases.measure(predictor, text, phrases.THRESHOLDS, normalised, found)
        for limit in phrases.THRESHOLDS:
            cells = [f"{100 * value:.1f}%" if value is not None else ""
                     for value in (measured.exact_match(limit, n) for n in range(1, 6))]
            print(f"| {'length-normalised' if normalised else 'probability'} | {limit} | "
                  f"{100 * measured.rate(limit):.2f}% ({measured.offered[limit]:,}) | "
                  f"{100 * measured.precision(limit):.1f}% | " + " | ".join(cells)
                  + f" | {measured.words[limit] / max(measured.boundaries, 1):.3f} |")
        if not normalised:
            calibrated = measured.calibrated(phrases.TARGET_PRECISION)
            print(f"\nthreshold for {100 * phrases.TARGET_PRECISION:.0f}% exact (probability): "
                  f"{calibrated}\n", file=sys.stderr)
    scratch = tempfile.TemporaryDirectory()
    path = os.path.join(scratch.name, "typed.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"\n| typist, {args.suggestions} suggestions | threshold | keystroke savings | "
          "phrases taken | words in them | offered | exact | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    n = args.suggestions
    for limit in args.typist_thresholds or [predictor.phrase_threshold]:
        predictor.phrase_threshold = limit
        started = time.perf_counter()
        typed = simulate(predictor, [path], [n], phrases=True)[n]
        seconds = time.perf_counter() - started
        figures = typed.phrases
        print(f"| single words | | {100 * typed.savings:.2f}% | | | | | |")
        print(f"| with phrases | {limit} | {100 * typed.savings_with_phrases:.2f}% | "
              f"{figures['taken']:,} | {figures['words taken']:,} | "
              f"{100 * figures['offer rate']:.2f}% | {100 * figures['precision']:.1f}% | "
              f"{seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
