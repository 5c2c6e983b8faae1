"""Chinese: train with default options on zh.train.txt, evaluate per character on zh.valid.txt.

Reports bits per character (the only figure that compares segmentations), the share of
characters left unscored (inside an unknown token), top-1/top-5 per token, and, as the
reference, the conditional compressed size of zh.valid given zh.train under xz -9e and 7-Zip's
PPMd (orders 6, 8, 16, 512 MB): bits = 8 * (size(train + valid) - size(train)) / characters.
Then five prefixes with their top-5 next words. The corpora stay in ../shared/data/zh (GPL).

    python benchmarks/chinese.py [--minutes 10] [--model /tmp/zh.keras]
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "zh")
PREFIXES = ["我们", "自由软件", "人生", "春风", "Debian 项目"]


def compressed_bits(train: str, valid: str, command) -> float | None:
    """8 * (size(train + valid) - size(train)) / characters(valid) under a compressor."""
    with open(valid, encoding="utf-8") as handle:
        characters = len(handle.read())
    sizes = []
    with tempfile.TemporaryDirectory() as folder:
        both = os.path.join(folder, "both.txt")
        with open(both, "wb") as out:
            out.write(open(train, "rb").read() + open(valid, "rb").read())
        for source in (both, train):
            target = os.path.join(folder, "out.7z")  # 7-Zip wants the suffix; xz ignores it
            try:
                subprocess.run(command(source, target), check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError):
                return None
            sizes.append(os.path.getsize(target))
            os.remove(target)
    return 8 * (sizes[0] - sizes[1]) / characters


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--model", default=os.path.join(tempfile.gettempdir(), "zh.keras"))
    parser.add_argument("--reuse", action="store_true", help="evaluate --model as it is")
    args = parser.parse_args()
    train, valid = os.path.join(DATA, "zh.train.txt"), os.path.join(DATA, "zh.valid.txt")
    import nextword
    from nextword.engine.evaluation import evaluate

    started = time.time()
    if not args.reuse:
        result = nextword.train([train], args.model, max_minutes=args.minutes - 1)
        print(f"trained in {time.time() - started:.0f} s (training {result.training_seconds:.0f}"
              f" s, {result.epochs} epochs), tokenizer {nextword.load(args.model).config.tokenizer}")
    predictor = nextword.load(args.model)
    scored = evaluate(predictor, [valid])
    rows = [("nextword, default options + its n-gram", scored.bits_per_character)]
    alone = evaluate(nextword.load(args.model, ngram=False), [valid])
    rows.append(("nextword, the network alone", alone.bits_per_character))
    rows.append(("xz -9e", compressed_bits(train, valid, lambda source, target: [
        "sh", "-c", f"xz -9e -c {source} > {target}"])))
    seven = shutil.which("7z") or shutil.which("7za")
    for order in (6, 8, 16):
        rows.append((f"7-Zip PPMd order {order}, 512 MB", compressed_bits(
            train, valid, lambda source, target, order=order: [
                seven, "a", "-t7z", "-bd", f"-m0=PPMd:o={order}:mem=512m", target, source])
            if seven else None))
    print(f"\nzh.valid.txt: {scored.characters:,} characters, {scored.tokens:,} tokens\n")
    print("| model | bits per character |")
    print("|---|---|")
    for name, bits in rows:
        print(f"| {name} | {'n/a' if bits is None else f'{bits:.2f}'} |")
    print(f"\nunscored characters {100 * scored.unscored_character_rate:.2f}%, top-1 "
          f"{100 * scored.top1_accuracy:.2f}%, top-5 {100 * scored.top5_accuracy:.2f}% "
          f"(per token), perplexity {scored.perplexity:.2f}\n")
    for prefix in PREFIXES:
        words = " ".join(f"{word} ({p:.2f})" for word, p in predictor.predict(prefix, 5))
        print(f"- {prefix} -> {words}")


if __name__ == "__main__":
    main()
