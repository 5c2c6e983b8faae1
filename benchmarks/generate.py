"""Generation speed: carried recurrent state against re-running the whole prefix.

For a 2-layer 256-unit LSTM over a 10,000-word vocabulary (random weights: speed does not
depend on what was learned), prints greedy words/s with the carried state and with the
textbook loop that feeds the whole text so far through the network for every new word.

    python benchmarks/generate.py [--words 100] [--prefix 20] [--model models/nextword.keras]

With --model it measures a trained model file instead, n-gram mixture included (the history
of the last words rides in the carried state; re-running rebuilds it from the whole text).
"""

import argparse
import os
import tempfile
import time

import numpy as np

from nextword import Config
from nextword.network._tf import quiet_tensorflow
from nextword.text.vocab import SPECIALS, Vocabulary


def build(vocab_size: int, folder: str):
    """A random-weight model written to a file and read back as nextword reads models."""
    quiet_tensorflow()
    import keras

    import nextword
    from nextword import storage
    from nextword.network.model import build_model, build_predictor_model

    config = Config(layers=2, units=256, embedding_dim=256, tie_weights=False, seed=0)
    vocabulary = Vocabulary(list(SPECIALS) + [f"w{i}" for i in range(vocab_size - 3)])
    keras.utils.set_random_seed(0)
    path = os.path.join(folder, "random.keras")
    storage.save(build_predictor_model(build_model(config, len(vocabulary)), vocabulary),
                 {"config": config.to_dict()}, path)
    return nextword.load(path)


def carried(predictor, prefix_ids, words):
    logits, state = predictor.advance(np.array([prefix_ids]))
    out = []
    for _ in range(words):
        token = int(np.argmax(logits[0]))
        out.append(token)
        logits, state = predictor.step(np.array([token], dtype=np.int32), state)
    return out


def rerun(predictor, prefix_ids, words):
    ids = list(prefix_ids)
    out = []
    for _ in range(words):
        logits, _ = predictor.advance(np.array([ids]))
        token = int(np.argmax(logits[0]))
        out.append(token)
        ids.append(token)
    return out


def generation_rates(mixed, alone, prefix: str, words: int, rounds: int = 7):
    """Greedy words/s of two predictors, timed in alternation (the same machine load)."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, predictor in enumerate((mixed, alone)):
            started = time.perf_counter()
            made = predictor.generate_tokens(prefix, words=words, strategy="greedy")
            best[index] = min(best[index], (time.perf_counter() - started) / len(made))
    return 1 / best[0], 1 / best[1]


def timed(function, *args, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--prefix", type=int, default=20)
    parser.add_argument("--vocab", type=int, default=10000)
    parser.add_argument("--model", help="a trained .keras file instead of random weights")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    alone = None
    if args.model:
        import nextword

        predictor = nextword.load(args.model)
        if predictor.ngram is not None:
            alone = nextword.load(args.model, ngram=False)
        args.vocab = len(predictor.vocabulary)
        described = (f"{args.model}: {predictor.config.layers}x{predictor.config.units} "
                     f"{predictor.config.cell}, n-gram order "
                     f"{predictor.ngram.order if predictor.ngram else 0}")
    else:
        predictor = build(args.vocab, scratch.name)
        described = "2-layer 256-unit LSTM"
    prefix = list(np.random.default_rng(0).integers(3, args.vocab, args.prefix))
    carried(predictor, prefix, 3)  # warm up both loops once
    rerun(predictor, prefix, 3)
    seconds_carried, tokens_carried = timed(carried, predictor, prefix, args.words)
    seconds_rerun, tokens_rerun = timed(rerun, predictor, prefix, args.words)
    assert tokens_carried == tokens_rerun, "both loops must produce the same greedy text"
    print("| method | words | seconds | words/s |")
    print("|---|---|---|---|")
    print(f"| carried state | {args.words} | {seconds_carried:.3f} | "
          f"{args.words / seconds_carried:.0f} |")
    print(f"| re-run whole prefix | {args.words} | {seconds_rerun:.3f} | "
          f"{args.words / seconds_rerun:.0f} |")
    print(f"\nspeed-up: {seconds_rerun / seconds_carried:.1f}x "
          f"({described}, {args.vocab:,}-word vocabulary, {args.prefix}-word prefix)")
    if alone is not None:
        text = " ".join(predictor.vocabulary.decode(prefix))
        mixed_rate, alone_rate = generation_rates(predictor, alone, text, args.words)
        print(f"\n`generate --strategy greedy` ({args.words} words, the sampler included; the "
              f"two runs alternate): with the mixture {mixed_rate:.0f} words/s, network alone "
              f"{alone_rate:.0f} words/s: {mixed_rate / alone_rate:.2f}x")


if __name__ == "__main__":
    main()
