"""The `nextword` command line: thin commands over the library.

Each command parses its options, calls one library function and prints. Library code raises
NextwordError; `main` alone turns those into one-line messages with exit code 1. TensorFlow is
imported only after the arguments have been checked, and quietly. The commands live in one
module per group (train.py, suggest.py, inspect.py, learn.py, serve.py, export.py).
"""

from __future__ import annotations

import click

from .._version import __version__
from ..errors import NextwordError
from . import export, inspect, learn, serve, suggest, train
from .options import CONTEXT


class Group(click.Group):
    """Turns library errors into one-line messages, without tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NextwordError as error:
            raise click.ClickException(str(error)) from None
        except MemoryError:
            raise click.ClickException("out of memory; lower --batch-size, --units or "
                                       "--max-vocab") from None
        except OSError as error:  # a disk, a permission, a path: name it, no traceback
            where = f"{error.filename}: " if error.filename else ""
            raise click.ClickException(f"{where}{error.strerror or error}; check the path "
                                       "and the disk") from None


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="nextword")
def main():
    """Train word-level next-word prediction models on your own text, and use them.

    \b
    Examples:
      nextword preprocess data/kjv.train.txt
      nextword train data/kjv.train.txt
      nextword predict "and the lord said"
      nextword generate "in the beginning" -n 30
    """


for command in (train.preprocess, train.train, suggest.predict, suggest.complete,
                suggest.generate, inspect.evaluate, inspect.info, learn.learn, learn.forget,
                export.export, serve.serve):
    main.add_command(command)
