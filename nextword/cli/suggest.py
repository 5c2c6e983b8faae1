"""`nextword predict`, `complete` and `generate`: next words, completions, continuations."""

from __future__ import annotations

import click

from ..errors import NextwordError
from .common import answer_lines, load_predictor, print_suggestions
from .options import CONTEXT, generation_options, model_option, suggestion_options


@click.command(context_settings=CONTEXT)
@click.argument("prefix", required=False, default="")
@suggestion_options
def predict(prefix, model_path, k, interactive):
    """List the most likely next words after PREFIX, as word<TAB>probability.

    \b
    Examples:
      nextword predict "and the lord said"
      nextword predict -k 10 -m models/notes.keras "see you"
      printf 'in the\\nand god\\n' | nextword predict -i
    """
    suggest(model_path, prefix, k, interactive, "predict")


@click.command(context_settings=CONTEXT)
@click.argument("text", required=False, default="")
@suggestion_options
@click.option("--learn", "learn_lines", is_flag=True,
              help="With -i: learn each finished line into the model (an input line that does "
                   "not continue the previous one finishes it) and save the model every few "
                   "seconds and at the end.")
def complete(text, model_path, k, interactive, learn_lines):
    """Complete the word being typed at the end of TEXT, or suggest the next word.

    If TEXT ends inside a word, lists the vocabulary words that begin with the typed part,
    ranked by the model given the words before it (probabilities renormalised over them); if
    it ends with a space, lists the next words as `predict` does. Prints word<TAB>probability;
    nothing when no word begins with the typed part.

    \b
    Examples:
      nextword complete "and the lo"
      nextword complete "and the lord "
      printf 'and the lo\\nmoses sa\\n' | nextword complete -i -k 3
      nextword complete -i --learn -m models/mine.keras
    """
    if learn_lines and not interactive:
        raise NextwordError("--learn learns the lines typed in interactive mode; add -i, or "
                            "use `nextword learn TEXT` for files")
    if not learn_lines:
        suggest(model_path, text, k, interactive, "complete")
        return
    from ..engine.online import OnlineLearner, finished_lines
    from ..engine.sharing import Follower
    from ..storage import check_writable

    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    predictor = load_predictor(model_path)
    check_writable(model_path)
    finished = finished_lines()
    log = lambda line: click.echo(line, err=True)  # noqa: E731
    # Follows the file as a server does: a `forget` elsewhere reaches the suggestions here.
    with Follower(predictor, log=log), OnlineLearner(predictor, log=log) as learner:
        def answer(line):
            done = finished(line)
            if done:
                learner.submit(done)  # learned on the learner's thread: no answer waits
            print_suggestions(predictor.complete(line, k))

        answer_lines(answer)
        done = finished(None)
        if done:
            learner.submit(done)


def suggest(model_path, text, k, interactive, method):
    """Print the predictor's `method` (predict, complete) for text, or for each input line."""
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    suggest = getattr(load_predictor(model_path), method)
    if not interactive:
        print_suggestions(suggest(text, k))
        return
    answer_lines(lambda line: print_suggestions(suggest(line, k)))


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
