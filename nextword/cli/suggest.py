"""`nextword predict`, `complete` and `generate`: next words, completions, continuations."""

from __future__ import annotations

import click

from ..errors import NextwordError
from .common import answer_lines, load_predictor, print_suggestions
from .options import (CONTEXT, check_phrases, generation_options, model_option, phrase_options,
                      suggestion_options)


@click.command(context_settings=CONTEXT)
@click.argument("prefix", required=False, default="")
@suggestion_options
def predict(prefix, model_path, k, interactive):
    """List the most likely next words after PREFIX, as word<TAB>probability.

    Words come as written: "God", "I", a sentence's first word capitalised. Words of PREFIX
    outside the model's vocabulary are read as the unknown word (one line on stderr says so
    when none is known).

    \b
    Examples:
      nextword predict "and the lord said"
      nextword predict -k 10 -m models/notes.keras "see you"
      printf 'in the\\nand god\\n' | nextword predict -i
    """
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    predictor = load_predictor(model_path)

    def answer(text):
        if not predictor.knows_any(text):
            click.echo(f"none of the words in {text[:60]!r} are in the model's vocabulary: "
                       "these follow unknown words", err=True)
        print_suggestions(predictor.predict(text, k))

    if interactive:
        answer_lines(answer)
    else:
        answer(prefix)


@click.command(context_settings=CONTEXT)
@click.argument("text", required=False, default="")
@suggestion_options
@click.option("--learn", "learn_lines", is_flag=True,
              help="With -i: learn each finished line into the model (an input line that does "
                   "not continue the previous one finishes it) and save the model every few "
                   "seconds and at the end.")
@click.option("--no-correct", "no_correct", is_flag=True,
              help="Offer no corrections of typos, only completions and next words.")
@phrase_options("Also offer a phrase of several words (last, marked `phrase`) when the model "
                "is sure enough of one.")
def complete(text, model_path, k, interactive, learn_lines, no_correct, phrases,
             phrase_threshold):
    """Complete the word being typed at the end of TEXT, or suggest the next word.

    If TEXT ends inside a word, lists the vocabulary words that begin with the typed part,
    ranked by the model given the words before it; when none does, or they are all very
    unlikely there, the words the typed part may have meant (a typo). If TEXT ends with a
    space, lists the next words as `predict` does, after the correction of a likely typo in
    the word just finished. Prints word<TAB>probability, and a third column for a correction
    (`correction`, or `autocorrect` for one a keyboard would apply on space); nothing when no
    word fits. Words come as written ("Moses", "LORD" after "LO"). With --phrases, a last
    line may offer the likeliest next few words (`phrase`: "Moses, saying,").

    \b
    Examples:
      nextword complete "and the lo"
      nextword complete "and the lord "
      printf 'and the lo\\nmoses sa\\n' | nextword complete -i -k 3
      nextword complete "And the LORD spake unto " --phrases
      nextword complete -i --learn -m models/mine.keras
    """
    check_phrases(phrases, phrase_threshold)
    if learn_lines and not interactive:
        raise NextwordError("--learn learns the lines typed in interactive mode; add -i, or "
                            "use `nextword learn TEXT` for files")
    if not learn_lines:
        suggest(model_path, text, k, interactive, not no_correct, phrases, phrase_threshold)
        return
    from ..engine.online import OnlineLearner, finished_lines
    from ..engine.sharing import Follower
    from ..storage import check_writable

    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    predictor = load_predictor(model_path)
    if phrase_threshold is not None:
        predictor.phrase_threshold = phrase_threshold
    check_writable(model_path)
    finished = finished_lines()
    log = lambda line: click.echo(line, err=True)  # noqa: E731
    # Follows the file as a server does: a `forget` elsewhere reaches the suggestions here.
    with Follower(predictor, log=log), OnlineLearner(predictor, log=log) as learner:
        def answer(line):
            done = finished(line)
            if done:
                learner.submit(done)  # learned on the learner's thread: no answer waits
            print_records(predictor.suggest(line, k, not no_correct, phrases))

        answer_lines(answer)
        done = finished(None)
        if done:
            learner.submit(done)


def suggest(model_path, text, k, interactive, correct, phrases=False, phrase_threshold=None):
    """Print the suggestions for text, or for each line of standard input."""
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    predictor = load_predictor(model_path)
    if phrase_threshold is not None:
        predictor.phrase_threshold = phrase_threshold
    if not interactive:
        print_records(predictor.suggest(text, k, correct, phrases))
        return
    answer_lines(lambda line: print_records(predictor.suggest(line, k, correct, phrases)))


def print_records(records):
    """word<TAB>probability, and for a correction a third column: correction or autocorrect."""
    for record in records:
        line = f"{record.word}\t{record.probability:.4f}"
        if record.kind == "correction":
            line += "\tautocorrect" if record.autocorrect else "\tcorrection"
        elif record.kind == "phrase":
            line += "\tphrase"
        click.echo(line)


@click.command(context_settings=CONTEXT)
@click.argument("prefix", required=False, default="")
@model_option
@generation_options
@click.option("--count", type=int, default=1, show_default=True,
              help="How many continuations to print, separated by blank lines.")
def generate(prefix, model_path, count, **settings):
    """Continue PREFIX with generated text.

    \b
    Examples:
      nextword generate "and god said" --seed 1
      nextword generate "in the beginning" --strategy beam --beams 8 --stop-at-eol
      nextword generate "the king" --strategy top-k --top-k 20 --count 3
    """
    from ..engine.generation import GenerationConfig

    config = GenerationConfig(**settings)  # checks every setting before the model loads
    if count < 1:
        raise NextwordError(f"--count must be at least 1, got {count}")
    predictor = load_predictor(model_path)
    for index in range(count):
        seed = None if config.seed is None else config.seed + index
        text = predictor.generate(prefix, config.replace(seed=seed))
        if index:
            click.echo()
        click.echo(join_continuation(prefix, text).rstrip("\n"))


def join_continuation(prefix: str, text: str) -> str:
    """The prefix and its generated continuation as one text (punctuation attached, and no
    space between Chinese words)."""
    from ..text.segment import joins_without_space

    attached = not text or not prefix or text[0] in ",.;:?!)'\n" \
        or joins_without_space(prefix[-1:], text[:1])
    return prefix + ("" if attached else " ") + text
