"""`nextword export`: file sizes, step latency per runtime, and what int8 weights cost in savings.

- sizes of every export (float32 and int8 .tflite, .onnx, .arpa, the vocabulary);
- one step (one token in, next-token distribution and state out) under the LiteRT
  interpreter (float32, int8), onnxruntime, and nextword's numpy step (`Predictor.step`,
  the network alone);
- keystroke savings (nextword/keystrokes.py, 3 suggestions) with the distributions of the
  float32 and the int8 .tflite, the network alone and mixed with the model's n-gram model as
  nextword mixes them; and nextword's own, which the float32 file should equal.

    python benchmarks/export.py [--model models/nextword.keras] [--text data/kjv.valid.txt]
                                [--lines N] [--steps 500]
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time

import numpy as np


def step_seconds(step, ids, state, repeats=5):
    """Median over `repeats` of the mean seconds of one step over ids."""
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        current = state
        for token in ids:
            current = step(token, current)
        runs.append((time.perf_counter() - started) / len(ids))
    return statistics.median(runs)


def litert_runner(path):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=path).get_signature_runner("step")

    def step(token, state):
        out = runner(token=np.array([token], np.int32), state=state)
        return out["log_probabilities"], out["new_state"]
    return step


def onnx_runner(path):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options)

    def step(token, state):
        return tuple(session.run(None, {"token": np.array([token], np.int32), "state": state}))
    return step


def network_distributions(step, state_size):
    """(lines, time) ids -> (lines, time, vocab) probabilities, stepping each line."""
    def distributions(inputs):
        out = None
        for row, line in enumerate(inputs):
            state = np.zeros((1, state_size), np.float32)
            for position, token in enumerate(line):
                log_probabilities, state = step(int(token), state)
                if out is None:
                    out = np.zeros(inputs.shape + (log_probabilities.shape[-1],), np.float32)
                out[row, position] = np.exp(log_probabilities[0])
        return out
    return distributions


def mixed_distributions(network, predictor):
    """The network's distributions mixed with the model's n-gram model as nextword mixes
    (KneserNey.mix_rows: the linear mixture, or the log-linear one of today's models)."""
    table = predictor.ngram
    keep = table.order - 1

    def distributions(inputs):
        probabilities = network(inputs)
        lines, width = inputs.shape
        padded = np.concatenate([np.full((lines, keep), -1), inputs], axis=1)
        history = np.lib.stride_tricks.sliding_window_view(padded, keep, axis=1)[:, 1:]
        history = history.reshape(-1, keep)
        rows = probabilities.reshape(lines * width, -1)
        out = np.empty_like(rows)
        for begin in range(0, len(rows), 1024):
            part = slice(begin, begin + 1024)
            out[part] = table.mix_rows(rows[part], history[part], predictor.mixture, False)
        return out.reshape(probabilities.shape)
    return distributions


def kenlm_difference(predictor, arpa, text):
    """Largest |log10 p| difference between KenLM on the ARPA file and nextword's n-gram
    model, every token of every line scored from the start of its line; and the tokens."""
    import kenlm

    from nextword.text.corpus import read_lines
    from nextword.text.vocab import EOL_ID

    model, table = kenlm.Model(arpa), predictor.ngram
    worst = tokens = 0
    config = predictor.config
    for line in read_lines([text], config.lowercase, config.encoding, None, config.tokenizer):
        ids = [EOL_ID] + predictor.vocabulary.encode(line) + [EOL_ID]
        ours = []
        for k in range(1, len(ids)):
            scale, parts, _ = table.lookup(ids[:k])
            p = scale * float(table.unigram[ids[k]])
            p += sum(s * float(a[w == ids[k]].sum()) for w, a, s in parts)
            ours.append(np.log10(p))
        theirs = [score for score, _, _ in model.full_scores(" ".join(line), bos=True, eos=True)]
        worst = max(worst, float(np.abs(np.array(ours) - np.array(theirs)).max()))
        tokens += len(ours)
    return worst, tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--text", default="data/kjv.valid.txt")
    parser.add_argument("--lines", type=int, default=0,
                        help="Type only the first N lines of the text (0: all).")
    parser.add_argument("--steps", type=int, default=500, help="Steps timed per runtime.")
    args = parser.parse_args()
    import nextword
    from nextword.engine.keystrokes import simulate_tokens
    from nextword.export import export

    folder = tempfile.mkdtemp(prefix="nextword-export-bench-")
    files = {"litert float32": ("litert", "m.tflite", None),
             "litert int8": ("litert", "m-int8.tflite", "dynamic"),
             "onnx": ("onnx", "m.onnx", None), "arpa": ("arpa", "m.arpa", None),
             "vocab": ("vocab", "m.txt", None)}
    print(f"exports of {args.model}\n\n| format | size | of float32 | seconds to export |")
    print("|---|---|---|---|")
    paths, sizes = {}, {}
    for name, (format, file, quantize) in files.items():
        paths[name] = os.path.join(folder, file)
        started = time.perf_counter()
        export(args.model, format, paths[name], quantize)
        seconds = time.perf_counter() - started
        sizes[name] = os.path.getsize(paths[name])
        share = f"{100 * sizes[name] / sizes['litert float32']:.1f}%"
        print(f"| {name} | {sizes[name] / 1e6:.2f} MB | {share} | {seconds:.1f} |")

    model = nextword.load(args.model)
    if model.ngram is not None:
        worst, tokens = kenlm_difference(model, paths["arpa"], args.text)
        print(f"\nKenLM reading the ARPA file against nextword's n-gram model, {tokens:,} "
              f"tokens of {args.text}: largest difference {worst:.2e} in log10 p")

    network_only = nextword.load(args.model, ngram=False)
    state_size = sum(part.shape[1] for part in network_only.initial_state(1))
    ids = [int(i) for i in np.random.default_rng(0).integers(3, len(network_only.vocabulary),
                                                             args.steps)]
    steppers = {"litert float32": litert_runner(paths["litert float32"]),
                "litert int8": litert_runner(paths["litert int8"]),
                "onnxruntime (1 thread)": onnx_runner(paths["onnx"])}
    print("\n| one step (network alone) | ms |\n|---|---|")
    for name, step in steppers.items():
        seconds = step_seconds(lambda token, state: step(token, state)[1], ids,
                               np.zeros((1, state_size), np.float32))
        print(f"| {name} | {1000 * seconds:.3f} |")
    seconds = step_seconds(lambda token, state: network_only.step(np.array([token]), state)[1],
                           ids, network_only.initial_state(1))
    print(f"| nextword numpy step (Predictor.step) | {1000 * seconds:.3f} |")

    text = args.text
    if args.lines:
        text = os.path.join(folder, "text.txt")
        with open(args.text, encoding="utf-8") as source, open(text, "w") as target:
            target.writelines(line for _, line in zip(range(args.lines), source))
    float32 = network_distributions(steppers["litert float32"], state_size)
    int8 = network_distributions(steppers["litert int8"], state_size)
    keyboards = [("nextword, the network alone", network_only, None),
                 ("litert float32, the network alone", model, float32),
                 ("litert int8, the network alone", model, int8)]
    if model.ngram is not None:
        keyboards += [("nextword (network + n-gram)", model, None),
                      ("litert float32 + n-gram", model, mixed_distributions(float32, model)),
                      ("litert int8 + n-gram", model, mixed_distributions(int8, model))]
    lines = f"the first {args.lines} lines of " if args.lines else ""
    print(f"\nkeystroke savings, 3 suggestions, {lines}{args.text}\n")
    print("| keyboard | savings | seconds |\n|---|---|---|")
    for name, predictor, distributions in keyboards:
        started = time.perf_counter()
        result = simulate_tokens(predictor, [text], [3], distributions=distributions)[3]
        print(f"| {name} | {100 * result.savings:.2f}% | {time.perf_counter() - started:.0f} |")
    print(f"\n{result.words:,} words typed")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
