"""Does generation loop? Repetition per strategy, against the held-out text itself.

100 prompts from held-out text (the first words of 100 lines spread over it); each is
continued by 50 tokens with each strategy at its defaults (and without their guards), and the
same 50 tokens that follow the prompt in the held-out text are the reference. For each text,
over its words (punctuation and line ends aside, case folded): the share of repeated 4-grams
(4-grams that occur earlier in the same text) and distinct-2 (the share of its bigrams that
are different). Reported: the mean over the 100 texts, and for the held-out text the range
of its texts' values (10th to 90th percentile), which a strategy's mean should fall in.

    python benchmarks/repetition.py --model models/nextword.keras --text data/kjv.valid.raw.txt
        [--prompts 100] [--words 50] [--prompt-words 4] [--seed 1]
"""

import argparse
import time

import numpy as np

SETTINGS = [  # (name, settings): each strategy at its defaults, then without the defaults' guards
    ("greedy", {"strategy": "greedy"}),
    ("top-k", {"strategy": "top-k"}),
    ("top-p (the default)", {"strategy": "top-p"}),
    ("beam", {"strategy": "beam"}),
    ("sample", {"strategy": "sample"}),
    ("greedy, no n-gram ban (the default before 2026-12-07)", {"strategy": "greedy",
                                                              "no_repeat_ngram": 0}),
    ("beam, no n-gram ban (the default before 2026-12-07)", {"strategy": "beam",
                                                            "no_repeat_ngram": 0}),
    ("greedy, no penalties", {"strategy": "greedy", "repetition_penalty": 1.0,
                              "no_repeat_ngram": 0}),
    ("beam, no penalties", {"strategy": "beam", "repetition_penalty": 1.0,
                            "no_repeat_ngram": 0}),
    ("top-p, no penalties", {"strategy": "top-p", "repetition_penalty": 1.0,
                             "no_repeat_ngram": 0}),
]


def words_of(tokens):
    return [token.lower() for token in tokens if token[:1].isalnum()]


def prompts_and_references(predictor, lines, count, prompt_words, length):
    """(prompt text, the next `length` tokens of the held-out text) for `count` lines."""
    tokens, starts = [], []
    for line in lines:
        line_tokens = predictor.tokenize(line)
        if len(line_tokens) > prompt_words:
            starts.append(len(tokens))
        tokens += line_tokens + ["<eol>"]
    chosen = [starts[int(i)] for i in np.linspace(0, len(starts) - 1, count)]
    out = []
    for start in chosen:
        prompt = tokens[start:start + prompt_words]
        out.append((" ".join(prompt), tokens[start + prompt_words:start + prompt_words + length]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--text", default="data/kjv.valid.raw.txt")
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--words", type=int, default=50)
    parser.add_argument("--prompt-words", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import nextword
    from nextword.engine.generation import distinct, repeated_ngrams

    predictor = nextword.load(args.model)
    with open(args.text, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle if line.strip()]
    pairs = prompts_and_references(predictor, lines, args.prompts, args.prompt_words,
                                   args.words)
    reference = [words_of(tokens) for _, tokens in pairs]
    rep = [repeated_ngrams(w) for w in reference]
    dist = [distinct(w) for w in reference]
    low_rep, high_rep = np.percentile(rep, [10, 90])
    low_dist, high_dist = np.percentile(dist, [10, 90])
    print(f"{args.prompts} prompts of {args.prompt_words} words from {args.text}, "
          f"{args.words} tokens each; model {args.model}\n")
    print("| text | repeated 4-grams | distinct-2 | within the held-out range | seconds |")
    print("|---|---|---|---|---|")
    print(f"| held-out text | {100 * np.mean(rep):.1f}% (10-90%: {100 * low_rep:.1f}-"
          f"{100 * high_rep:.1f}%) | {np.mean(dist):.3f} ({low_dist:.3f}-{high_dist:.3f}) "
          f"| | |")
    for name, settings in SETTINGS:
        started = time.perf_counter()
        texts = [words_of(predictor.generate_tokens(prompt, words=args.words, seed=args.seed + i,
                                                    **settings))
                 for i, (prompt, _) in enumerate(pairs)]
        seconds = time.perf_counter() - started
        r = float(np.mean([repeated_ngrams(w) for w in texts]))
        d = float(np.mean([distinct(w) for w in texts]))
        within = low_rep <= r <= high_rep and low_dist <= d <= high_dist
        print(f"| {name} | {100 * r:.1f}% | {d:.3f} | {'yes' if within else 'no'} | "
              f"{seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
