"""A trained model's network mixed with n-gram models of other orders, without training again.

For each ORDER (or ORDER:MAX_ENTRIES) the n-gram model is counted from the model's own
training corpus and its mixture weights fitted exactly as `nextword train` does (the same
held-out windows, EM, then the n-gram counted again from all the text); the file is written
and scored on TEXT with `nextword evaluate`. What a higher --ngram-order or a smaller
--ngram-max-entries would have given the same network.

    python benchmarks/ngram_orders.py MODEL.keras data/kjv.valid.txt 5 6 7 8 7:1800000
"""

import json
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, text, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    from nextword.network._tf import quiet_tensorflow

    quiet_tensorflow()
    import keras

    import nextword  # noqa: F401  registers nextword's layers
    from nextword import storage
    from nextword.config import Config
    from nextword.network.model import build_predictor_model
    from nextword.training.mixing import fit_ngram
    from nextword.training.pipeline import make_windows, read_corpus

    meta = storage.read_meta(path)
    config = Config.from_dict(meta["config"])
    core = keras.saving.load_model(path).get_layer("language_model")
    scratch = tempfile.mkdtemp()
    quiet = lambda *args: None  # noqa: E731
    scan = read_corpus(config.corpus, config, scratch, None, quiet)
    vocabulary, windows = make_windows(scan, config, scratch, quiet)
    print("| n-gram model | entries | file MB | held-out mixed | perplexity | top-1 | top-5 |")
    print("|---|---|---|---|---|---|---|")
    for spec in specs:
        order, _, cap = spec.partition(":")
        cap = int(cap or config.ngram_max_entries)
        table, mixture, held_out, counts, _ = fit_ngram(core, windows, len(vocabulary),
                                                     int(order), cap, config.ngram_max_tokens,
                                                     quiet)
        output = os.path.join(scratch, f"order{order}.keras")
        storage.save(build_predictor_model(core, vocabulary, table, mixture), meta, output,
                     {storage.COUNTS_ENTRY: counts.to_bytes()})
        scored = subprocess.run([sys.executable, "-m", "nextword", "evaluate", "-m", output,
                                 text, "--json"], capture_output=True, text=True, check=True)
        result = json.loads(scored.stdout.strip().splitlines()[-1])
        print(f"| order {table.order}, at most {cap:,} entries | {table.entries:,} | "
              f"{os.path.getsize(output) / 1e6:.0f} | "
              f"{held_out['validation_perplexity']:.2f} | {result['perplexity']:.2f} | "
              f"{result['top1_accuracy']:.2%} | {result['top5_accuracy']:.2%} |", flush=True)
        os.remove(output)


if __name__ == "__main__":
    main()
