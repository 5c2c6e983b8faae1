"""`nextword evaluate` and `nextword info`: how good a model is, and what it is."""

from __future__ import annotations

import json

import click

from ..engine.keystrokes import CONVENTIONS
from ..errors import NextwordError
from ..text.corpus import find_files
from .common import byte_progress, load_predictor
from .options import CONTEXT, check_phrases, model_option, phrase_options


@click.command(context_settings=CONTEXT)
@click.argument("text", nargs=-1, required=True)
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@click.option("--ngram/--network-only", default=True, show_default=True,
              help="Score with the model's n-gram mixture, or the network alone.")
@click.option("--keystrokes", is_flag=True,
              help="Also simulate a typist who picks the word being typed as soon as it is "
                   "among the suggestions, and report the share of keystrokes saved.")
@click.option("--suggestions", type=int, default=3, show_default=True,
              help="How many suggestions the simulated typist sees (with --keystrokes).")
@click.option("--keystrokes-convention", "convention", type=click.Choice(CONVENTIONS),
              default="raw", show_default=True,
              help="raw: the text typed exactly as written, every character a keystroke and a "
                   "suggestion taken only as the text writes the word; tokens: the model's "
                   "tokens typed, each then a space (the figures measured before 2026-12-07).")
@phrase_options("Also offer phrases as the typist types (implies --keystrokes, raw), and report "
                "how often one is offered, ExactMatch@1-5 and the savings with them.")
def evaluate(text, model_path, as_json, ngram, keystrokes, suggestions, convention, phrases,
             phrase_threshold):
    """Report perplexity and top-1/top-5 accuracy of a model on held-out TEXT files.

    With --keystrokes, also the keystroke savings: a typist types each line as written, and
    before each keystroke sees --suggestions suggestions (`complete` given the text so far),
    taking the word as soon as one is exactly it (one keystroke, which inserts it and a
    space); see docs/engine.md for the conventions. With --phrases, the keyboard also offers
    phrases, taken in one keystroke when the text goes on with them; the report says how
    often one was offered at a word's start, how often its first N words were right
    (ExactMatch@N), and the threshold that would make 70% of the phrases offered on this text
    exact.

    \b
    Examples:
      nextword evaluate data/kjv.valid.txt --json
      nextword evaluate data/kjv.valid.txt --keystrokes --suggestions 5
      nextword evaluate data/kjv.valid.raw.txt --phrases
    """
    from ..engine.evaluation import evaluate as run_evaluation

    if suggestions < 1:
        raise NextwordError(f"--suggestions must be at least 1, got {suggestions}")
    check_phrases(phrases, phrase_threshold)
    if phrases and convention != "raw":
        raise NextwordError("--phrases types the text as written; drop --keystrokes-convention "
                            "tokens")
    keystrokes = keystrokes or phrases
    found = find_files(text)
    predictor = load_predictor(model_path, ngram=ngram)
    if phrase_threshold is not None:
        predictor.phrase_threshold = phrase_threshold
    with byte_progress("evaluating", found.files) as update:
        result = run_evaluation(predictor, list(text), on_bytes=update, found=found)
    report = result.to_dict()
    if keystrokes:
        from ..engine.keystrokes import simulate

        with byte_progress("typing", found.files) as update:
            typed = simulate(predictor, found.files, [suggestions], on_bytes=update,
                             convention=convention, phrases=phrases)[suggestions]
        report.update(keystroke_savings=typed.savings, suggestions=suggestions,
                      keystroke_convention=convention)
        if typed.case_right is not None:
            report.update(case_right=typed.case_right)
    if phrases:
        report.update(phrases=_phrase_report(predictor, found.files, typed))
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"tokens\t{result.tokens}")
    click.echo(f"perplexity\t{result.perplexity:.2f}")
    click.echo(f"top-1 accuracy\t{100 * result.top1_accuracy:.2f}%")
    click.echo(f"top-5 accuracy\t{100 * result.top5_accuracy:.2f}%")
    click.echo(f"unknown-word rate\t{100 * result.unknown_rate:.2f}%")
    click.echo(f"bits per character\t{result.bits_per_character:.3f}")
    if keystrokes:
        click.echo(f"keystroke savings\t{100 * typed.savings:.2f}% with {suggestions} "
                   f"suggestion{'s' if suggestions > 1 else ''} ({typed.keystrokes:,} of "
                   f"{typed.keystrokes_without:,} keystrokes)")
    if phrases:
        shown = report["phrases"]
        click.echo(f"with phrases\t{100 * shown['keystroke_savings']:.2f}% "
                   f"({shown['taken']:,} phrases taken, {shown['words_taken']:,} words)")
        click.echo(f"phrase threshold\t{shown['threshold']:.2f}")
        click.echo(f"phrases offered\t{100 * shown['offer_rate']:.2f}% of word starts "
                   f"({shown['offered']:,})")
        click.echo(f"phrases exact\t{100 * shown['precision']:.2f}% to their last word")
        for n, value in shown["exact_match"].items():
            if value is not None:
                click.echo(f"ExactMatch@{n}\t{100 * value:.2f}%")
        calibrated = shown["threshold_for_target"]
        click.echo(f"threshold for {100 * shown['target']:.0f}% exact here\t"
                   + (f"{calibrated:.2f}" if calibrated is not None else "none reaches it"))


def _phrase_report(predictor, files, typed) -> dict:
    """The phrase figures of a typing run, and the threshold that would make the phrases
    offered at word starts exact TARGET_PRECISION of the time on the same text."""
    from ..engine import phrases
    from ..text.corpus import iter_blocks

    figures = typed.phrases
    lines = [line for path in files for block in iter_blocks(path, predictor.config.encoding)
             for line in block.split("\n") if line.strip()]
    measured = phrases.measure(predictor, lines)
    return {"keystroke_savings": typed.savings_with_phrases, "taken": figures["taken"],
            "words_taken": figures["words taken"], "threshold": predictor.phrase_threshold,
            "offered": figures["offered"], "offer_rate": figures["offer rate"],
            "precision": figures["precision"], "exact_match": figures["exact match"],
            "target": phrases.TARGET_PRECISION,
            "threshold_for_target": measured.calibrated(phrases.TARGET_PRECISION)}


@click.command(context_settings=CONTEXT)
@model_option
def info(model_path):
    """Describe a model: its network, vocabulary, corpus and training results.

    \b
    Example:
      nextword info -m models/notes.keras
    """
    described = load_predictor(model_path).describe()
    shown = {"training seconds": lambda v: ("training time", f"{v:.0f} s"),
             "validation perplexity": lambda v: ("validation perplexity", f"{v:.2f}"),
             "validation accuracy": lambda v: ("validation accuracy", f"{100 * v:.2f}%"),
             "n-gram order": lambda v: ("n-gram order", v or "none"),
             "phrases exact on held-out text": lambda v: ("phrases exact on held-out text",
                                                          f"{100 * v:.1f}%")}
    rows = [shown[name](value) if name in shown and value is not None else (name, value)
            for name, value in described.items()
            if value is not None or name != "phrases exact on held-out text"]
    for name, value in rows:
        click.echo(f"{name}\t{value}")
