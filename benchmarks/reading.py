"""A model's perplexity and top-1 under two readings of the same file: the whole text with
the state carried through it (what `nextword evaluate` does) and every line from a zero state
(what the keystroke simulator and a keyboard do). A network trained on windows from a zero
state and one trained with carried state (`--stateful`) each win under their own reading.

    python benchmarks/reading.py data/kjv.valid.txt MODEL.keras [MODEL.keras ...]
"""

import math
import sys

import numpy as np


def each_line(predictor, path):
    """(tokens, perplexity, top-1) with every line scored from a fresh state."""
    from nextword.engine.evaluation import tally
    from nextword.text.corpus import read_lines
    from nextword.text.vocab import EOL_ID

    config = predictor.config
    lines = [predictor.vocabulary.encode(tokens) + [EOL_ID]
             for tokens in read_lines([path], config.lowercase, config.encoding,
                                      tokenizer=config.tokenizer)]
    nll, top1, count = 0.0, 0, 0
    for begin in range(0, len(lines), 64):
        chunk = lines[begin:begin + 64]
        targets = np.full((len(chunk), max(map(len, chunk))), -1, np.int64)
        for row, ids in enumerate(chunk):
            targets[row, :len(ids)] = ids
        inputs = np.concatenate([np.full((len(chunk), 1), EOL_ID), targets[:, :-1]], axis=1)
        inputs = np.where(inputs < 0, 0, inputs).astype(np.int32)
        logits, _ = predictor.score(inputs, predictor.initial_state(len(chunk)))
        part_nll, part_top1, _, part_count = tally(logits, targets)
        nll, top1, count = nll + part_nll, top1 + part_top1, count + part_count
    return count, math.exp(nll / count), top1 / count


def main():
    import nextword
    from nextword.engine.evaluation import evaluate

    path, models = sys.argv[1], sys.argv[2:]
    print("| model | whole file carried | each line from a zero state |")
    print("|---|---|---|")
    for model in models:
        predictor = nextword.load(model, recent_weight=0)
        whole = evaluate(predictor, [path])
        _, perplexity, top1 = each_line(predictor, path)
        print(f"| {model} | {whole.perplexity:.2f} / {100 * whole.top1_accuracy:.2f}% | "
              f"{perplexity:.2f} / {100 * top1:.2f}% |", flush=True)


if __name__ == "__main__":
    main()
