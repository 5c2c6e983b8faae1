"""The recent-words cache: does weighting it by what it holds cost anything?

The cache (nextword/engine/recent.py) is mixed in with weight 0.1 x n / (n + 100) for the n
tokens it holds; before 2026-12-07 it had the full 0.1 from the first word, and after
"i will" it ranked "i" and "will" above "not". For each text this script types the lines in
order, as one session (the cache remembers the lines typed so far, and the line being typed),
with the cache off, at full weight from the first word, and at its default weight, and
reports:

- keystroke savings under the raw convention with 3 (and 1) suggestions;
- on every word of the text (a line begun from a fresh state, the cache as the typist has it):
  the perplexity of the mixed next-word distribution and its top-1 accuracy, and the top-1
  accuracy on the first three words of each line, where the cache holds the least of it.

    python benchmarks/recent.py --model models/nextword.keras --text data/kjv.valid.raw.txt \\
        [--text OTHER.txt] [--learn FILE] [--lines N]

--learn FILE teaches the model FILE first (`Predictor.learn_files`), as a user adapting it
to their own text would.
"""

import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np

VARIANTS = (("off", 0.0, 100), ("full weight from the first word", 0.1, 0),
            ("grows with what it holds (default)", 0.1, 100))


def held_out(predictor, lines, first_words: int = 3) -> dict:
    """Perplexity and top-1 of the cache-mixed distribution over the words of lines, typed
    in order from the start of each line, the cache remembering the lines before."""
    from nextword.engine.keystrokes import model_distributions
    from nextword.text.vocab import SPECIALS, UNK_ID

    distributions = model_distributions(predictor)
    log_sum, scored, right, early, early_right = 0.0, 0, 0, 0, 0
    batch = 32
    encoded = [predictor.encode(line) for line in lines]
    for start in range(0, len(encoded), batch):
        rows = encoded[start:start + batch]
        width = max(len(ids) for ids in rows)
        inputs = np.zeros((len(rows), width), dtype=np.int32)
        for i, ids in enumerate(rows):
            inputs[i, :len(ids)] = ids
        probabilities = distributions(inputs)
        for i, ids in enumerate(rows):
            for t in range(len(ids) - 1):
                target = ids[t + 1]
                if target < len(SPECIALS) or target == UNK_ID:
                    continue
                mixed = predictor.recent.mix(probabilities[i, t], ids[:t + 1])
                p = float(mixed[target])
                log_sum += math.log(max(p, 1e-12))
                scored += 1
                best = int(np.argmax(mixed[len(SPECIALS):])) + len(SPECIALS)
                right += best == target
                if t < first_words:
                    early += 1
                    early_right += best == target
            predictor.recent.add(ids[1:])
    return {"perplexity": math.exp(-log_sum / scored), "top1": right / scored,
            "early top1": early_right / early, "words": scored}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--text", action="append", required=True)
    parser.add_argument("--learn", help="teach the model this file first")
    parser.add_argument("--lines", type=int, default=0, help="only the first N lines of each")
    args = parser.parse_args()
    import nextword
    from nextword.engine.keystrokes import simulate
    from nextword.engine.recent import RecentWords

    predictor = nextword.load(args.model)
    if args.learn:
        started = time.perf_counter()
        learned = predictor.learn_files([args.learn])
        print(f"learned {args.learn}: {learned} in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    scratch = tempfile.TemporaryDirectory()
    print(f"model {args.model}" + (f", {args.learn} learned" if args.learn else "") + "\n")
    print("| text | cache | keystroke savings, 3 (1) | perplexity | top-1 | top-1, a line's "
          "first 3 words |")
    print("|---|---|---|---|---|---|")
    for text in args.text:
        with open(text, encoding="utf-8") as handle:
            lines = [line.rstrip("\n") for line in handle]
        if args.lines:
            lines = lines[:args.lines]
        typed_path = os.path.join(scratch.name, os.path.basename(text))
        with open(typed_path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        lines = [line for line in lines if line.strip()]
        for name, weight, history in VARIANTS:
            predictor.recent = RecentWords(weight, history=history)
            typed = simulate(predictor, [typed_path], [1, 3])
            predictor.recent = RecentWords(weight, history=history)
            figures = held_out(predictor, lines)
            print(f"| {os.path.basename(text)} | {name} | {100 * typed[3].savings:.2f}% "
                  f"({100 * typed[1].savings:.2f}%) | {figures['perplexity']:.2f} | "
                  f"{100 * figures['top1']:.2f}% | {100 * figures['early top1']:.2f}% |",
                  flush=True)


if __name__ == "__main__":
    main()
