"""Keystroke savings on held-out text for several keyboards, under both conventions.

Keyboards, each with the same number of suggestions:
- nextword: the model as `nextword.load` gives it (network + n-gram, the recent-words cache,
  words as written, corrections on, the spelling list's words completed too);
- nextword completing the model's words only (none of the spelling list's);
- nextword showing again, while a word is typed, the completions passed over for it (the
  default passes over them, as the page and presage do);
- nextword with the cache at full weight from the first word (as before 2026-12-07);
- the network alone;
- a word list: the training text's words by frequency, completing the typed part, no
  context (words as the model writes them, a sentence's first capitalised);
- presage (Debian's 0.9.1, benchmarks/presage_keyboard.py): its smoothed 3-gram model built
  by text2ngram from the same training text, through libpresage's C API; and with its
  DictionaryPredictor on the same spelling list, the most frequent words first.

Conventions (nextword/engine/keystrokes.py): "raw", the text typed as written (every
character a keystroke, a suggestion taken only as the text writes the word); "tokens", each
token typed lowercased with a space after it (the figures measured before 2026-12-07).
presage_simulator's own figure (its own convention: punctuation, capitals and line ends free,
the file typed as one text) is shown beside them.

    python benchmarks/keystrokes.py --model models/nextword.keras \\
        --train data/kjv.train.raw.txt --text data/kjv.valid.raw.txt [--suggestions 1 3 5]
        [--lines N] [--no-presage] [--presage-suggestions 1 3 5]
"""

import argparse
import collections
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class WordList:
    """Suggestions by the training text's word frequency alone."""

    def __init__(self, predictor, train: str):
        from nextword.text.tokenize import tokenize

        counts = collections.Counter()
        with open(train, encoding="utf-8") as handle:
            for line in handle:
                counts.update(token for token in tokenize(line) if token[:1].isalnum())
        self.words = [word for word, _ in counts.most_common()]
        self.predictor = predictor

    def suggest(self, text: str, k: int):
        from nextword.engine.suggestions import Suggestion, read
        from nextword.text.casing import begins_sentence

        reading = read(self.predictor, text)
        forms = self.predictor.forms
        if reading.typed is None:
            start = begins_sentence(reading.written)
            return [Suggestion(forms.cased(word, start=start), 0.0, "next")
                    for word in self.words[:k]]
        typed = reading.typed.lower()
        found = [word for word in self.words if word.startswith(typed)][:k]
        return [Suggestion(forms.cased(word, typed=reading.typed), 0.0, "completion",
                           len(reading.typed)) for word in found]


def tokens_typist(suggest, lines, counts):
    """The tokens convention for any keyboard: each token lowercased, then a space; the typist
    takes a suggestion whose word (folded) is the token, before any of its characters."""
    from nextword.engine.completion import WORD_START
    from nextword.text.tokenize import tokenize

    used, total = {n: 0 for n in counts}, 0
    most = max(counts)
    for line in lines:
        tokens = tokenize(line)
        for position, token in enumerate(tokens):
            context = " ".join(tokens[:position])
            cost = len(token) + 1
            total += cost
            typeable = len(token) if WORD_START.match(token) else 1
            ranks = []
            for typed in range(typeable):
                text = (context + " " if context else "") + token[:typed]
                offered = [s.word.lower() for s in suggest(text, most)]
                ranks.append(offered.index(token) if token in offered else most)
                if ranks[-1] < counts[0]:
                    break
            for n in counts:
                first = next((typed for typed, rank in enumerate(ranks) if rank < n), None)
                used[n] += cost if first is None else first + 1
    return {n: 1 - used[n] / total for n in counts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--train", default="data/kjv.train.raw.txt",
                        help="the model's training text (the word list's and presage's)")
    parser.add_argument("--text", default="data/kjv.valid.raw.txt")
    parser.add_argument("--suggestions", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--lines", type=int, default=0, help="type only the first N lines")
    parser.add_argument("--no-presage", action="store_true")
    parser.add_argument("--presage-suggestions", type=int, nargs="+", default=[3],
                        help="presage types the text once per N (minutes each): these N")
    args = parser.parse_args()
    import nextword
    from nextword.engine.keystrokes import simulate
    from nextword.engine.typist import Typist
    from nextword.text.tokenize import surface_tokens

    scratch = tempfile.TemporaryDirectory()
    text = args.text
    if args.lines:
        with open(args.text, encoding="utf-8") as handle:
            head = [line for _, line in zip(range(args.lines), handle)]
        text = os.path.join(scratch.name, "text.txt")
        with open(text, "w", encoding="utf-8") as handle:
            handle.writelines(head)
    with open(text, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
    counts = sorted(args.suggestions)
    model = nextword.load(args.model)
    full_cache = nextword.load(args.model)
    full_cache.recent.history = 0
    rows = []  # (keyboard, convention, {n: savings}, seconds, note)

    def timed(name, convention, run, note=""):
        started = time.perf_counter()
        savings = run()
        rows.append((name, convention, savings, time.perf_counter() - started, note))
        print(f"  {name}, {convention}: " + ", ".join(f"{100 * savings[n]:.2f}%"
                                                      for n in counts if n in savings),
              file=sys.stderr, flush=True)

    def nextword_raw(predictor, pass_over=True):
        results = simulate(predictor, [text], counts, pass_over=pass_over)
        rows_case[id(predictor)] = results[counts[-1]].case_right
        return {n: results[n].savings for n in counts}

    rows_case = {}
    timed("nextword", "raw", lambda: nextword_raw(model))
    own_words = nextword.load(args.model)
    own_words.speller.listed_beginning = lambda typed, k: {}  # no word of the spelling list
    timed("nextword, no completions from the spelling list", "raw",
          lambda: nextword_raw(own_words))
    timed("nextword, completions passed over shown again", "raw",
          lambda: nextword_raw(model, pass_over=False))
    timed("nextword, cache at full weight", "raw", lambda: nextword_raw(full_cache))
    network = nextword.load(args.model, ngram=False)
    timed("network alone", "raw", lambda: nextword_raw(network))
    words = WordList(model, args.train)

    def typed_by(suggest, n_values):
        typed = Typist(suggest, lambda line: surface_tokens(line), n_values).type_lines(lines)
        return {n: 1 - typed.keystrokes[n] / typed.characters for n in n_values}

    timed("word list by frequency", "raw", lambda: typed_by(words.suggest, counts))
    for name, predictor in (("nextword", model), ("network alone", network)):
        timed(name, "tokens", lambda p=predictor: {
            n: r.savings for n, r in simulate(p, [text], counts, convention="tokens").items()})
    timed("word list by frequency", "tokens",
          lambda: tokens_typist(words.suggest, [line for line in lines if line.strip()],
                                counts))
    if not args.no_presage:
        sys.path.insert(0, HERE)
        from presage_keyboard import (PresageKeyboard, build_database, config_with_suggestions,
                                      presage_simulator_savings, write_config,
                                      write_dictionary)

        folder = os.path.join(scratch.name, "presage")
        built = build_database(args.train, folder)
        for n in sorted(args.presage_suggestions):  # presage remembers what it showed:
            # one keyboard per N
            config = config_with_suggestions(built, n, folder)
            keyboard = PresageKeyboard(config, n)
            timed(f"presage ({n})", "raw", lambda: typed_by(keyboard.suggest, (n,)))
            timed(f"presage ({n})", "tokens",
                  lambda: tokens_typist(keyboard.suggest,
                                        [line for line in lines if line.strip()], [n]))
            timed(f"presage ({n})", "presage_simulator",
                  lambda: {n: presage_simulator_savings(config, text)})
        # nextword completes the spelling list's words too: presage with the same list
        listed = write_config(os.path.join(folder, "presage.dictionary.xml"),
                              os.path.join(folder, "presage.db"), suggestions=3,
                              dictionary=write_dictionary(folder))
        keyboard = PresageKeyboard(listed, 3)
        timed("presage (3) + dictionary (the spelling list)", "raw",
              lambda: typed_by(keyboard.suggest, (3,)))
    print(f"\nkeystroke savings on {args.text}" + (f" (first {args.lines} lines)"
                                                     if args.lines else "")
          + f"; model {args.model}; trained on {args.train}\n")
    header = " | ".join(f"{n} suggestion{'s' if n > 1 else ''}" for n in counts)
    print(f"| keyboard | convention | {header} | seconds |")
    print("|---|---|" + "---|" * (len(counts) + 1))
    for name, convention, savings, seconds, _ in rows:
        cells = " | ".join(f"{100 * savings[n]:.2f}%" if n in savings else ""
                           for n in counts)
        print(f"| {name} | {convention} | {cells} | {seconds:.0f} |")
    case = rows_case.get(id(model))
    if case is not None:
        print(f"\nnextword offered {100 * case:.2f}% of the words it offered as the text "
              f"writes them ({counts[-1]} suggestions, raw convention).")


if __name__ == "__main__":
    main()
