"""`nextword learn` and `nextword forget`: the user's words taught to a model, or blocked."""

from __future__ import annotations

import click

from ..errors import NextwordError
from ..text.corpus import find_files
from .common import byte_progress, load_predictor
from .options import CONTEXT, model_option


@click.command(context_settings=CONTEXT)
@click.argument("text", nargs=-1)
@model_option
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the model with what was learned to this .keras file (default: "
                   "replace MODEL, atomically).")
@click.option("--reset", is_flag=True,
              help="First drop everything learned before (blocked words stay blocked).")
def learn(text, model_path, output, reset):
    """Learn the words and phrases of TEXT files into the model, in seconds.

    No training: new words join the vocabulary and the text's n-grams are counted into a
    user layer stored in the model file, mixed with the network and the n-gram model by
    weights that favour your text where it knows more. TensorFlow is not needed.

    \b
    Examples:
      nextword learn my-notes.txt -m models/nextword.keras
      nextword learn chats/ -m models/base.keras -o models/mine.keras
      nextword learn --reset -m models/mine.keras
    """
    import time

    from ..storage import check_writable

    if not text and not reset:
        raise NextwordError("give TEXT files to learn from (or --reset to drop what was "
                            "learned)")
    found = find_files(text) if text else None
    check_writable(output or model_path)
    predictor = load_predictor(model_path)
    if reset:
        predictor.reset_learning()
    if found is not None:
        started = time.time()
        with byte_progress("learning", found.files) as update:
            learned = predictor.learn_files(found.files, on_bytes=update)
        click.echo(f"learned\t{learned['lines']:,} lines, {learned['tokens']:,} tokens, "
                   f"{learned['new words']:,} new words in {time.time() - started:.1f} s")
    predictor.save(output or model_path)
    total = predictor.learned
    click.echo(f"model\t{output or model_path}")
    click.echo(f"learned in all\t{total['lines']:,} lines, {total['tokens']:,} tokens, "
               f"{total['new words']:,} new words")


@click.command(context_settings=CONTEXT)
@click.argument("words", nargs=-1)
@model_option
@click.option("--list", "show", is_flag=True, help="List the blocked words, one per line.")
@click.option("--undo", is_flag=True, help="Unblock WORDS: suggest them again.")
def forget(words, model_path, show, undo):
    """Never suggest WORDS again: not as next words, completions or in generated text.

    The model file keeps the list (replaced atomically; the network and the n-gram tables are
    copied unchanged), so every command and the server respect it.

    \b
    Examples:
      nextword forget smite smote
      nextword forget --list
      nextword forget --undo smite
    """
    if not words and not show:
        raise NextwordError("name the words to forget (or --undo), or pass --list")
    predictor = load_predictor(model_path)
    if words:
        changed = predictor.unforget(words) if undo else predictor.forget(words)
        if changed:
            predictor.save()
        verb = "unblocked" if undo else "blocked"
        click.echo(f"{verb} {len(changed)} word(s) in {model_path}; "
                   f"{len(predictor.blocked_words)} blocked in all", err=True)
    if show:
        for word in predictor.blocked_words:
            click.echo(word)
