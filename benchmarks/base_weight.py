"""How much a base model's n-gram counts should count when training continues (--base-weight).

Takes one model continued with `nextword train NEW --from BASE` and mixes its n-gram model
again at several base weights, the network held fixed, so the weight alone changes: the
counts of NEW plus weight x BASE's, the mixture refitted on NEW's held-out windows as training
does. Each variant is written to --out-dir and scored on held-out text: perplexity, top-1 and
keystroke savings with 3 suggestions.

    python benchmarks/base_weight.py --model OUT.keras --base BASE.keras \\
        --text held-out.txt --out-dir /tmp/base-weight --weights 0 0.1 0.3 1 3
"""

import argparse
import os
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a model trained with --from")
    parser.add_argument("--base", required=True, help="the model it continued from")
    parser.add_argument("--text", required=True, help="held-out text to score")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--weights", type=float, nargs="+", default=[0, 0.1, 0.3, 1, 3])
    parser.add_argument("--no-keystrokes", action="store_true")
    args = parser.parse_args()
    from nextword.network._tf import quiet_tensorflow

    quiet_tensorflow()
    import nextword
    from nextword import storage
    from nextword.engine.evaluation import evaluate
    from nextword.engine.keystrokes import simulate
    from nextword.network import loading
    from nextword.network.model import CORE_NAME, build_predictor_model
    from nextword.text.scan import encode_scan, scan_corpus
    from nextword.training.continuing import Base
    from nextword.training.mixing import fit_ngram
    from nextword.training.windows import Windows

    keras_model, meta = loading.load(args.model)
    core = keras_model.get_layer(CORE_NAME)
    predictor = nextword.load(args.model)
    config, vocabulary = predictor.config, predictor.vocabulary
    base = Base.read(args.base)
    os.makedirs(args.out_dir, exist_ok=True)
    print(f"{args.model} (continued from {args.base}), scored on {args.text}\n")
    print("| base weight | n-gram held-out perplexity | perplexity | top-1 | keystroke savings "
          "(3) | seconds |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="nextword-") as scratch:
        scan = scan_corpus(config.corpus, config.lowercase, config.encoding,
                           ids_path=os.path.join(scratch, "raw.ids"),
                           tokenizer=config.tokenizer)
        ids = encode_scan(scan, vocabulary, os.path.join(scratch, "vocab.ids"))
        windows = Windows(ids, config.sequence_length, config.validation_split, config.seed)
        for weight in args.weights:
            started = time.perf_counter()
            table, mixture, held_out, counts, _ = fit_ngram(
                core, windows, len(vocabulary), config.ngram_order, config.ngram_max_entries,
                config.ngram_max_tokens, log=lambda line: None, base_counts=base.counts,
                base_weight=weight)
            path = os.path.join(args.out_dir, f"base-weight-{weight:g}.keras")
            variant = dict(meta, continued_from=dict(meta.get("continued_from", {}),
                                                     base_weight=weight))
            storage.save(build_predictor_model(core, vocabulary, table, mixture), variant,
                         path, {storage.COUNTS_ENTRY: counts.to_bytes()})
            scored = nextword.load(path)
            result = evaluate(scored, [args.text])
            savings = "-" if args.no_keystrokes else \
                f"{100 * simulate(scored, [args.text], [3])[3].savings:.2f}%"
            print(f"| {weight:g} | {held_out['ngram_validation_perplexity']:.2f} | "
                  f"{result.perplexity:.2f} | {100 * result.top1_accuracy:.2f}% | {savings} | "
                  f"{time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
