"""Training throughput: nextword against the textbook Keras pipeline, on the same text and model.

The textbook pipeline (the seed article): every n-gram prefix of every line, pre-padded to the
longest line, one-hot labels, one target per sample, categorical cross-entropy. nextword: windows
where every position predicts its next token, sparse labels, tf.data. Both train Embedding 100 ->
LSTM 128 -> Dense softmax over the same vocabulary. Each runs in its own process so that peak RSS
is its own. Also reports nextword's useful FLOP/s against a numpy float32 matrix product.

    python benchmarks/train_speed.py [--lines 4000] [--corpus ../shared/data/kjv/kjv.train.txt]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.join(HERE, "..", "data", "kjv.train.txt")
EMBEDDING, UNITS = 100, 128


def lines_of(path, count):
    with open(path, encoding="utf-8") as handle:
        return [next(handle) for _ in range(count)]


def vocabulary_for(lines):
    from collections import Counter

    from nextword.text.tokenize import tokenize
    from nextword.text.vocab import Vocabulary

    counts = Counter(token for line in lines for token in tokenize(line) + ["<eol>"])
    return Vocabulary.build(counts, max_vocab=10**9, min_count=1)


def flops_per_target(vocab_size, embedding=EMBEDDING, units=UNITS):
    """Forward + backward multiply-adds of the LSTM and the output layer, times 2."""
    lstm = 2 * 4 * units * (embedding + units)
    output = 2 * units * vocab_size
    return 3 * (lstm + output)


def textbook(lines, steps):
    from nextword.network._tf import quiet_tensorflow

    quiet_tensorflow()
    import keras
    from keras import layers

    from nextword.text.tokenize import tokenize

    vocabulary = vocabulary_for(lines)
    sequences = [vocabulary.encode(tokenize(line)) for line in lines]
    samples = [seq[:i + 1] for seq in sequences for i in range(1, len(seq))]
    longest = max(len(s) for s in samples)
    padded = keras.utils.pad_sequences(samples, maxlen=longest, padding="pre")
    inputs, labels = padded[:, :-1], keras.utils.to_categorical(padded[:, -1],
                                                                num_classes=len(vocabulary))
    model = keras.Sequential([layers.Input((longest - 1,)),
                              layers.Embedding(len(vocabulary), EMBEDDING),
                              layers.LSTM(UNITS), layers.Dense(len(vocabulary),
                                                               activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    batch = 32
    model.fit(inputs[:batch * 3], labels[:batch * 3], batch_size=batch, verbose=0)
    count = min(len(inputs), batch * steps)
    started = time.perf_counter()
    model.fit(inputs[:count], labels[:count], batch_size=batch, verbose=0)
    seconds = time.perf_counter() - started
    return {"targets_per_second": count / seconds, "samples": len(inputs),
            "vocabulary": len(vocabulary)}


def nextword_pipeline(lines, steps, sampled):
    import tempfile

    from nextword.network._tf import quiet_tensorflow

    quiet_tensorflow()
    from nextword import Config
    from nextword.text.scan import encode_scan, scan_corpus
    from nextword.text.vocab import Vocabulary
    from nextword.training.trainer import build_trainer
    from nextword.training.windows import Windows

    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "corpus.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
        scan = scan_corpus([path], ids_path=os.path.join(scratch, "raw.ids"))
        vocabulary = Vocabulary.build(scan.counts, max_vocab=10**9, min_count=1)
        ids = np.array(encode_scan(scan, vocabulary, os.path.join(scratch, "ids")))
    config = Config(embedding_dim=EMBEDDING, units=UNITS, tie_weights=False, dropout=0,
                    sequence_length=64, batch_size=64, sampled_softmax=sampled)
    windows = Windows(ids, config.sequence_length, 0.01, config.seed)
    _, trainer = build_trainer(config, len(vocabulary), sampled=bool(sampled))
    dataset = windows.dataset("train", config.batch_size).repeat()
    trainer.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)
    started = time.perf_counter()
    trainer.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - started
    targets = steps * config.batch_size * config.sequence_length
    return {"targets_per_second": targets / seconds, "vocabulary": len(vocabulary)}


def matmul_rate(size=2048, repeats=10):
    a = np.random.rand(size, size).astype(np.float32)
    b = np.random.rand(size, size).astype(np.float32)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size ** 3 * repeats / (time.perf_counter() - started)


def child(args):
    lines = lines_of(args.corpus, args.lines)
    if args.child == "textbook":
        result = textbook(lines, args.steps)
    else:
        result = nextword_pipeline(lines, args.steps, int(args.child.split(":")[1]))
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--lines", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    rows = {}
    for name, child_name in [("textbook (one-hot, padded prefixes)", "textbook"),
                             ("nextword, full softmax", "nextword:0"),
                             ("nextword, sampled softmax 1024", "nextword:1024")]:
        output = subprocess.run([sys.executable, __file__, "--child", child_name, "--corpus",
                                 args.corpus, "--lines", str(args.lines), "--steps",
                                 str(args.steps)], capture_output=True, text=True, check=True)
        rows[name] = json.loads(output.stdout.strip().splitlines()[-1])
    rate = matmul_rate()
    base = rows["textbook (one-hot, padded prefixes)"]["targets_per_second"]
    vocab_size = rows["nextword, full softmax"]["vocabulary"]
    print(f"{args.lines} lines of {os.path.basename(args.corpus)}, vocabulary {vocab_size:,}; "
          f"Embedding {EMBEDDING} -> LSTM {UNITS} -> Dense softmax; numpy float32 matmul "
          f"{rate / 1e9:.0f} GFLOP/s\n")
    print("| pipeline | targets/s | vs textbook | useful GFLOP/s | of matmul rate | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        speed = row["targets_per_second"]
        useful = speed * flops_per_target(vocab_size)
        note = " (full-softmax FLOPs)" if "sampled" in name else ""
        print(f"| {name} | {speed:,.0f} | {speed / base:.1f}x | {useful / 1e9:.0f}{note} | "
              f"{100 * useful / rate:.0f}% | {row['peak_rss_gb']:.2f} GB |")


if __name__ == "__main__":
    main()
