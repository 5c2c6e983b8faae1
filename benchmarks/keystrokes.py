"""Keystroke savings on held-out text with 1, 3 and 5 suggestions, for several keyboards.

- the model as nextword uses it (network mixed with its n-gram model);
- the network alone, and the model's n-gram alone (mixture weights set to the n-gram);
- a word-list keyboard: the training words by frequency (the vocabulary's order), completing
  the typed prefix, no context.

Every keyboard is run through the same simulator (nextword/keystrokes.py): before each
keystroke the typist sees the top N suggestions for the word being typed given the line so far.

    python benchmarks/keystrokes.py [--model models/nextword.keras] [--text data/kjv.valid.txt]
"""

import argparse
import time

import numpy as np


def word_list(predictor):
    """The same distribution at every position: frequency order, most frequent first."""
    size = len(predictor.vocabulary)
    ranked = (1.0 / np.arange(1, size + 1)).astype(np.float32)  # ids are in frequency order
    ranked /= ranked.sum()
    return lambda inputs: np.broadcast_to(ranked, inputs.shape + (size,))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--text", default="data/kjv.valid.txt")
    parser.add_argument("--suggestions", type=int, nargs="+", default=[1, 3, 5])
    args = parser.parse_args()
    import nextword
    from nextword.engine.keystrokes import simulate

    model = nextword.load(args.model)
    keyboards = [("nextword model (network + n-gram)", model, None),
                 ("network alone", nextword.load(args.model, ngram=False), None)]
    if model.ngram is not None:
        ngram_only = nextword.load(args.model)
        ngram_only.mixture = np.zeros_like(ngram_only.mixture)  # weight 0 on the network
        keyboards.append((f"the model's {model.ngram.order}-gram alone", ngram_only, None))
    keyboards.append(("word list by frequency, no context", model, word_list(model)))
    header = " | ".join(f"{n} suggestion{'s' if n > 1 else ''}" for n in args.suggestions)
    print(f"keystroke savings on {args.text} ({args.model})\n")
    print(f"| keyboard | {header} | seconds |")
    print("|---|" + "---|" * (len(args.suggestions) + 1))
    for name, predictor, distributions in keyboards:
        started = time.perf_counter()
        results = simulate(predictor, [args.text], args.suggestions, distributions=distributions)
        seconds = time.perf_counter() - started
        cells = " | ".join(f"{100 * results[n].savings:.2f}%" for n in args.suggestions)
        print(f"| {name} | {cells} | {seconds:.0f} |")
    some = results[args.suggestions[0]]
    print(f"\n{some.words:,} words, {some.keystrokes_without:,} keystrokes without suggestions")


if __name__ == "__main__":
    main()
