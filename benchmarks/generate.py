"""Generation speed: carried recurrent state against re-running the whole prefix.

For a 2-layer 256-unit LSTM over a 10,000-word vocabulary (random weights: speed does not
depend on what was learned), prints greedy words/s with the carried state and with the
textbook loop that feeds the whole text so far through the network for every new word.

    python benchmarks/generate.py [--words 100] [--prefix 20] [--model models/nextword.keras]

With --model it measures a trained model file instead, n-gram mixture included (the history
of the last words rides in the carried state; re-running rebuilds it from the whole text).
"""

import argparse
import time

import numpy as np

from nextword import Config
from nextword._tf import quiet_tensorflow
from nextword.vocab import SPECIALS, Vocabulary


def build(vocab_size: int):
    quiet_tensorflow()
    import keras

    from nextword.model import build_model, build_predictor_model
    from nextword.predictor import Predictor

    config = Config(layers=2, units=256, embedding_dim=256, tie_weights=False, seed=0)
    vocabulary = Vocabulary(list(SPECIALS) + [f"w{i}" for i in range(vocab_size - 3)])
    keras.utils.set_random_seed(0)
    core = build_model(config, len(vocabulary))
    return Predictor(build_predictor_model(core, vocabulary), {"config": config.to_dict()})


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
    if args.model:
        import nextword

        predictor = nextword.load(args.model)
        args.vocab = len(predictor.vocabulary)
        described = (f"{args.model}: {predictor.config.layers}x{predictor.config.units} "
                     f"{predictor.config.cell}, n-gram order "
                     f"{predictor.ngram.order if predictor.ngram else 0}")
    else:
        predictor = build(args.vocab)
        described = "2-layer 256-unit LSTM"
    prefix = list(np.random.default_rng(0).integers(3, args.vocab, args.prefix))
    carried(predictor, prefix, 3)  # compile both functions once
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


if __name__ == "__main__":
    main()
