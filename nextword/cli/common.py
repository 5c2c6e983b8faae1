"""What the commands share: loading the model, progress bars, answering lines of input."""

from __future__ import annotations

import contextlib
import sys

import click

from ..errors import NextwordError


@contextlib.contextmanager
def byte_progress(label: str, files):
    """A progress bar over the bytes of files, on stderr (shown on terminals only)."""
    import os

    if not sys.stderr.isatty():
        yield None
        return
    total = sum(os.path.getsize(path) for path in files if os.path.isfile(path))
    with click.progressbar(length=total or 1, label=label, file=sys.stderr) as bar:
        yield bar.update


def given(options: dict) -> set:
    """The names among options that the user set on the command line (not defaults)."""
    source = click.get_current_context().get_parameter_source
    defaults = (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)
    return {name for name in options if source(name) not in defaults}


def os_error_line(error: OSError) -> str:
    path = " and ".join(str(p) for p in (error.filename, error.filename2) if p) or "a file"
    return (f"{path}: {error.strerror or error}; check the path, its permissions and the free "
            "disk space, then run the same command again")


def load_predictor(model_path, ngram=True):
    from ..engine.predictor import Predictor

    return Predictor.load(model_path, ngram=ngram)


def print_suggestions(suggestions):
    for word, probability in suggestions:
        click.echo(f"{word}\t{probability:.4f}")


def answer_lines(answer):
    """Answer each line of standard input (a terminal or a pipe) until it ends or Ctrl-C.

    Piped answers end with a blank line; a bad line gets its one-line error and the loop goes on.
    """
    prompt = sys.stdin.isatty()
    try:
        while True:
            if prompt:
                click.echo("> ", nl=False, err=True)
            line = sys.stdin.readline()
            if not line:
                break
            try:
                answer(line.rstrip("\n"))
            except NextwordError as error:
                click.echo(f"Error: {error}", err=True)
            if not prompt:
                click.echo()
    except KeyboardInterrupt:
        click.echo(err=True)
