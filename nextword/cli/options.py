"""The click options the commands share, and those of `train` built from Config's fields.

A training option is declared once, on its Config field (default, help text, flag); this module
turns the fields into click options, and adds the options of a run that are not saved with the
model (where to write, backups, distribution).
"""

from __future__ import annotations

import click

from ..config import Config
from ..errors import NextwordError
from ..training.distribute import STRATEGIES

DEFAULT_MODEL = "models/nextword.keras"
MODEL_VARIABLE = "NEXTWORD_MODEL"  # the model every command reads, and train writes
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}  # every command's

model_option = click.option(
    "-m", "--model", "model_path", default=DEFAULT_MODEL, envvar=MODEL_VARIABLE,
    show_default=True, type=click.Path(dir_okay=True),
    help=f"The .keras model file to use (environment variable {MODEL_VARIABLE}).")
k_option = click.option("-k", "--top-k", "k", type=int, default=5, show_default=True,
                        help="How many words to list.")
interactive_option = click.option(
    "-i", "--interactive", is_flag=True,
    help="Read texts line by line from standard input and answer each.")


def suggestion_options(command):
    """-m, -k and -i: the options of the commands that suggest words (predict, complete)."""
    return model_option(k_option(interactive_option(command)))


def phrase_options(phrases_help: str) -> callable:
    """--phrases (with the command's own help) and --phrase-threshold: complete, evaluate."""
    def decorate(command):
        command = click.option(
            "--phrase-threshold", type=float, default=None,
            help="With --phrases: the least probability of a phrase offered (default 0.5: on "
                 "held-out KJV, 70% of offered phrases exact to their last word; higher "
                 "offers fewer, surer ones).")(command)
        return click.option("--phrases", is_flag=True, help=phrases_help)(command)

    return decorate


def check_phrases(phrases: bool, phrase_threshold: float | None) -> None:
    """A one-line error for a --phrase-threshold without --phrases or outside (0, 1]."""
    if phrase_threshold is not None and not phrases:
        raise NextwordError("--phrase-threshold sets when a phrase is offered; add --phrases")
    if phrase_threshold is not None and not 0 < phrase_threshold <= 1:
        raise NextwordError(f"--phrase-threshold must be in (0, 1], got {phrase_threshold}")


def config_option(field) -> callable:
    """The click option of one field declared with config.option (Config, GenerationConfig)."""
    flag = field.metadata["flag"] or "--" + field.name.replace("_", "-")
    if not flag.startswith("--") and "/" in flag:
        flags = flag.split("/")  # "-n/--words": a short and a long name
    else:
        flags = [flag]  # "--name", or an on/off pair "--name/--no-name"
    settings = {"default": field.default, "show_default": field.default is not None,
                "help": field.metadata["help"]}
    if field.metadata["choices"]:
        settings["type"] = click.Choice(field.metadata["choices"])
    elif field.metadata.get("type"):
        settings["type"] = field.metadata["type"]
    elif not isinstance(field.default, bool):  # a boolean's flag pair says what it is
        settings["type"] = type(field.default)
    elif "/" not in flag:
        settings["is_flag"] = True
    return click.option(*flags, field.name, **settings)


def config_options(*names: str) -> callable:
    """A decorator adding the options of the named Config fields (all of them without names).

    Options are listed in the order of the fields.
    """
    fields = [f for f in Config.options() if not names or f.name in names]
    unknown = set(names) - {f.name for f in fields}
    if unknown:
        raise ValueError(f"not Config options: {sorted(unknown)}")

    def decorate(command):
        for field in reversed(fields):  # click lists the last decorator applied first
            command = config_option(field)(command)
        return command

    return decorate


OUTPUT_OPTION = click.option(
    "-o", "--output", default=DEFAULT_MODEL, envvar=MODEL_VARIABLE, show_default=True,
    type=click.Path(), help=f"Where to write the .keras model file (environment variable "
                            f"{MODEL_VARIABLE}, which the other commands read).")
RUN_OPTIONS = [
    click.option("--backup-dir", type=click.Path(file_okay=False),
                 help="Where training state is saved so that the same command resumes an "
                      "interrupted run [default: beside the output, <name>-backup]."),
    click.option("--save-every", type=click.IntRange(min=0), default=0, show_default=True,
                 help="Also save training state every this many steps (0: each epoch only)."),
    click.option("--distribute", type=click.Choice(STRATEGIES), default="none",
                 show_default=True,
                 help="Train under tf.distribute: mirrored over this machine's GPUs (or CPU), "
                      "or multi-worker across machines configured by TF_CONFIG (see the "
                      "README)."),
    click.option("--plot/--no-plot", default=True, show_default=True,
                 help="Draw the training curves into <name>.png beside the model."),
    click.option("--tensorboard", type=click.Path(file_okay=False),
                 help="Also write TensorBoard logs to this folder."),
    click.option("-q", "--quiet", is_flag=True,
                 help="No progress bar or epoch lines, only the result."),
]


def training_options(command):
    """Every option of `nextword train`: the output, the Config fields, the run's own."""
    for option in reversed(RUN_OPTIONS):
        command = option(command)
    return OUTPUT_OPTION(config_options()(command))


def generation_options(command):
    """Every GenerationConfig field as an option (generate; the server's fields match them)."""
    from ..engine.generation import GenerationConfig

    for field in reversed(GenerationConfig.options()):
        command = config_option(field)(command)
    return command
