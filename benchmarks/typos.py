"""Typos: how often nextword's correction of a misspelt word is right, against symspellpy.

One word of each held-out line (alphabetic, three letters or more, chosen by a seeded draw) is
corrupted, as a typist would:

- real misspellings where codespell's dictionary of common misspellings (CC BY-SA) lists one
  for the word ("recieve" for "receive"); every other line, when there is one;
- otherwise a keyboard slip: a neighbouring key's letter instead of one, a letter left out,
  one added (a neighbour's, or the same twice), two letters swapped.

nextword corrects the word given the line before it (`Predictor.corrections`: the noisy
channel, P(word | context) x P(typed | word), over the model's words and the spelling list's;
a typo that is itself a word, "god" for "good", is ranked with the words it may have meant);
symspellpy (SymSpell, context-free, edit distance 2, `Verbosity.ALL`: the typed word first
when it is a word, then its neighbours) ranks the words of the same training text
by distance, then count, and in a second column the same words plus those of the spelling list
nextword reads (text/spelling.py; each counted as often as it would be in a text of the
training text's length). Reported: top-1 and
top-3 accuracy (case folded), the share of corrupted words nextword would autocorrect to the
right word, and the share of clean words of the held-out text nextword would autocorrect
(a keyboard's worst failure: a right word changed).

    python benchmarks/typos.py --model models/nextword.keras \\
        [--train data/kjv.train.raw.txt] [--text data/kjv.valid.raw.txt] [--clean-words 20000]
"""

import argparse
import collections
import os
import random
import time

ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def misspellings() -> dict:
    """codespell's dictionary inverted: a correctly spelt word -> its common misspellings."""
    import codespell_lib

    path = os.path.join(os.path.dirname(codespell_lib.__file__), "data", "dictionary.txt")
    found = collections.defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            wrong, _, right = line.strip().partition("->")
            fixes = [fix.strip() for fix in right.split(",") if fix.strip()]
            if len(fixes) == 1 and fixes[0].isalpha() and wrong.isalpha():
                found[fixes[0].lower()].append(wrong.lower())
    return found


def slip(word: str, rng: random.Random) -> str:
    """A keyboard slip in word: neighbour, left out, added, or swapped."""
    from nextword.engine.correction import NEIGHBOURS

    while True:
        kind = rng.choice(["neighbour", "left out", "added", "swapped"])
        i = rng.randrange(len(word))
        letter = word[i].lower()
        if kind == "neighbour" and NEIGHBOURS.get(letter):
            typed = word[:i] + rng.choice(sorted(NEIGHBOURS[letter])) + word[i + 1:]
        elif kind == "left out" and len(word) > 3:
            typed = word[:i] + word[i + 1:]
        elif kind == "added":
            extra = rng.choice(sorted(NEIGHBOURS.get(letter, {letter})) + [letter])
            typed = word[:i + 1] + extra + word[i + 1:]
        elif kind == "swapped" and i + 1 < len(word) and word[i] != word[i + 1]:
            typed = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        else:
            continue
        if typed.lower() != word.lower():
            return typed


def cased_like(typed: str, word: str) -> str:
    return typed[:1].upper() + typed[1:] if word[:1].isupper() else typed


def corrupted_lines(lines, known, rng):
    """(text before the word, the word, what was typed, "real" or "slip") per usable line."""
    cases = []
    use_real = True
    for line in lines:
        words = line.split()
        usable = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 3]
        if not usable:
            continue
        i = rng.choice(usable)
        word, before = words[i], " ".join(words[:i]) + (" " if i else "")
        real = known.get(word.lower())
        if real and use_real:
            cases.append((before, word, cased_like(rng.choice(real), word), "real"))
        else:
            cases.append((before, word, slip(word, rng), "slip"))
        if real:
            use_real = not use_real
    return cases


def symspell_for(train: str, listed: bool = False):
    """symspellpy over the training text's word counts (and the spelling list's words)."""
    from symspellpy import SymSpell

    from nextword.text import spelling
    from nextword.text.tokenize import tokenize

    counts = collections.Counter()
    with open(train, encoding="utf-8") as handle:
        for line in handle:
            counts.update(token for token in tokenize(line) if token.isalpha())
    if listed:
        more = spelling.counts()
        scale = sum(counts.values()) / sum(more.values())
        for word, count in more.items():
            if word.isalpha() and word not in counts:
                counts[word] = max(1, round(count * scale))
    speller = SymSpell(max_dictionary_edit_distance=2)
    for word, count in counts.items():
        speller.create_dictionary_entry(word, count)
    return speller


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--train", default="data/kjv.train.raw.txt",
                        help="the model's training text (symspellpy's word counts)")
    parser.add_argument("--text", default="data/kjv.valid.raw.txt")
    parser.add_argument("--clean-words", type=int, default=20000,
                        help="clean words checked for autocorrection (0: all)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from symspellpy import Verbosity

    import nextword

    predictor = nextword.load(args.model)
    with open(args.text, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    rng = random.Random(args.seed)
    cases = corrupted_lines(lines, misspellings(), rng)
    spellers = {"symspellpy": symspell_for(args.train),
                "symspellpy + list": symspell_for(args.train, listed=True)}
    names = ("nextword", *spellers)
    tally = collections.Counter()
    started = time.perf_counter()
    for before, word, typed, kind in cases:
        ours = [s.word.lower() for s in predictor.corrections(before, typed, 3)]
        found_by = {"nextword": ours}
        for name, speller in spellers.items():
            found_by[name] = [s.term for s in speller.lookup(typed.lower(), Verbosity.ALL,
                                                             max_edit_distance=2)][:3]
        right = word.lower()
        for name, found in found_by.items():
            tally[name, kind, "top1"] += found[:1] == [right]
            tally[name, kind, "top3"] += right in found
        fixed = predictor.suggest(f"{before}{typed} ", 1)
        tally["autocorrected right", kind] += bool(
            fixed and fixed[0].autocorrect and fixed[0].word.lower() == right)
        tally[kind] += 1
    correcting = time.perf_counter() - started
    clean = changed = 0
    rng = random.Random(args.seed)
    checked = [(line, i) for line in lines for i in range(len(line.split()))]
    if args.clean_words:
        checked = rng.sample(checked, min(args.clean_words, len(checked)))
    for line, i in checked:
        words = line.split()
        text = " ".join(words[:i + 1]) + " "
        if not any(c.isalpha() for c in words[i]):
            continue
        clean += 1
        found = predictor.suggest(text, 1)
        changed += bool(found and found[0].autocorrect)
    total = len(cases)
    print(f"model: {args.model}; text: {args.text}; {total} corrupted words "
          f"({tally['real']} real misspellings, {tally['slip']} keyboard slips), "
          f"{clean} clean words\n")
    print("| | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for kind in ("real", "slip", None):
        count = tally[kind] if kind else total
        for measure in ("top1", "top3"):
            values = []
            for name in names:
                hits = sum(tally[name, k, measure] for k in ("real", "slip")) if kind is None \
                    else tally[name, kind, measure]
                values.append(f"{100 * hits / max(count, 1):.1f}%")
            label = f"{'top-1' if measure == 'top1' else 'top-3'}, {kind or 'all'}"
            print(f"| {label} | {' | '.join(values)} |")
    right = tally["autocorrected right", "real"] + tally["autocorrected right", "slip"]
    blank = " |" * (len(names) - 1)
    print(f"| corrupted words autocorrected to the right word | {100 * right / total:.1f}% |{blank}")
    print(f"| clean words autocorrected (wrongly) | {100 * changed / max(clean, 1):.2f}% |{blank}")
    print(f"\n{1000 * correcting / total:.2f} ms a corrupted word (corrections and the "
          "suggestion after it)")


if __name__ == "__main__":
    main()
