"""The `nextword` command line: thin commands over the library.

Each command parses its options, calls one library function and prints. Library code raises
NextwordError; `main` alone turns those into one-line messages with exit code 1. TensorFlow is
imported only after the arguments have been checked, and quietly.
"""

from __future__ import annotations

import contextlib
import json
import sys

import click

from . import __version__
from .config import CELLS, Config
from .errors import NextwordError
from .sampling import STRATEGIES
from .text import find_files

DEFAULT_MODEL = "models/nextword.keras"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
defaults = Config()

model_option = click.option(
    "-m", "--model", "model_path", default=DEFAULT_MODEL, envvar="NEXTWORD_MODEL",
    show_default=True, type=click.Path(dir_okay=True),
    help="The .keras model file to use (environment variable NEXTWORD_MODEL).")


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


@main.command(context_settings=CONTEXT)
@click.argument("corpus", nargs=-1, required=True)
@click.option("--max-vocab", type=int, default=defaults.max_vocab, show_default=True,
              help="Largest vocabulary to keep, the three special tokens included.")
@click.option("--min-count", type=int, default=defaults.min_count, show_default=True,
              help="Words seen fewer times than this become the unknown token.")
@click.option("--lowercase/--keep-case", default=defaults.lowercase, show_default=True,
              help="Fold words to lower case, or keep their case.")
@click.option("--encoding", default=defaults.encoding, show_default=True,
              help="Text encoding of the corpus files (a byte-order mark overrides it).")
@click.option("--vocab-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the kept vocabulary to this file, one token per line, in id order.")
@click.option("--top", type=int, default=20, show_default=True,
              help="How many of the most common words to list.")
def preprocess(corpus, max_vocab, min_count, lowercase, encoding, vocab_out, top):
    """Read a corpus (files, folders, globs) and report what a model would see.

    \b
    Example:
      nextword preprocess data/ --min-count 3 --vocab-out vocab.txt
    """
    from .data import scan_corpus
    from .vocab import SPECIALS, Vocabulary

    config = Config(max_vocab=max_vocab, min_count=min_count, lowercase=lowercase,
                    encoding=encoding).validate()
    found = find_files(corpus)
    with byte_progress("reading", found.files) as update:
        scan = scan_corpus(corpus, config.lowercase, config.encoding, on_bytes=update,
                           found=found)
    vocabulary = Vocabulary.build(scan.counts, config.max_vocab, config.min_count)
    for path in scan.skipped:
        click.echo(f"skipped {path}: not a text file", err=True)
    click.echo(f"files\t{len(scan.files)}")
    click.echo(f"lines\t{scan.lines}")
    click.echo(f"tokens\t{scan.tokens}")
    click.echo(f"vocabulary before cut\t{len(scan.counts)}")
    click.echo(f"vocabulary after cut\t{len(vocabulary)}")
    click.echo(f"coverage\t{100 * vocabulary.coverage(scan.counts):.2f}%")
    common = [(w, c) for w, c in scan.counts.most_common(top + len(SPECIALS)) if w not in SPECIALS]
    click.echo("most common words:")
    for word, count in common[:top]:
        click.echo(f"{word}\t{count}")
    if vocab_out:
        vocabulary.save(vocab_out)
        click.echo(f"vocabulary written to {vocab_out}")


@main.command(context_settings=CONTEXT)
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", default=DEFAULT_MODEL, show_default=True,
              help="Where to write the .keras model file.")
@click.option("--cell", type=click.Choice(CELLS), default=defaults.cell, show_default=True,
              help="The recurrent cell.")
@click.option("--layers", type=int, default=defaults.layers, show_default=True,
              help="Number of stacked recurrent layers.")
@click.option("--units", type=int, default=defaults.units, show_default=True,
              help="Units in each recurrent layer.")
@click.option("--embedding-dim", type=int, default=defaults.embedding_dim, show_default=True,
              help="Size of the word vectors.")
@click.option("--dropout", type=float, default=defaults.dropout, show_default=True,
              help="Dropout on the word vectors and between recurrent layers (0 turns it off).")
@click.option("--tie-weights/--no-tie-weights", default=defaults.tie_weights, show_default=True,
              help="Share the embedding matrix with the output layer.")
@click.option("--sequence-length", type=int, default=defaults.sequence_length,
              show_default=True, help="Tokens per training window; every position is a target.")
@click.option("--batch-size", type=int, default=defaults.batch_size, show_default=True,
              help="Windows per training step.")
@click.option("--epochs", type=int, default=defaults.epochs, show_default=True,
              help="Most passes over the training windows (early stopping may end sooner).")
@click.option("--learning-rate", type=float, default=defaults.learning_rate, show_default=True,
              help="Adam's initial learning rate; halved when validation stops improving.")
@click.option("--clipnorm", type=float, default=defaults.clipnorm, show_default=True,
              help="Clip gradients to this global norm (0 turns clipping off).")
@click.option("--patience", type=int, default=defaults.patience, show_default=True,
              help="Epochs without validation improvement before stopping early.")
@click.option("--validation-split", type=float, default=defaults.validation_split,
              show_default=True, help="Share of windows held out to measure perplexity.")
@click.option("--max-vocab", type=int, default=defaults.max_vocab, show_default=True,
              help="Largest vocabulary to keep, the three special tokens included.")
@click.option("--min-count", type=int, default=defaults.min_count, show_default=True,
              help="Words seen fewer times than this become the unknown token.")
@click.option("--lowercase/--keep-case", default=defaults.lowercase, show_default=True,
              help="Fold words to lower case, or keep their case.")
@click.option("--encoding", default=defaults.encoding, show_default=True,
              help="Text encoding of the corpus files (a byte-order mark overrides it).")
@click.option("--max-minutes", type=float, default=defaults.max_minutes, show_default=True,
              help="Stop training after this many minutes and keep the best model (0: no limit).")
@click.option("--sampled-softmax", type=int, default=defaults.sampled_softmax, show_default=True,
              help="Train against this many sampled words per step instead of the whole "
                   "vocabulary, when it has more than twice as many (0: always the full "
                   "softmax). Validation and prediction always use the full softmax.")
@click.option("--ngram-order", type=int, default=defaults.ngram_order, show_default=True,
              help="Mix the network with a Kneser-Ney n-gram model of this order counted from "
                   "the same corpus and stored in the model file (0: the network alone).")
@click.option("--ngram-max-entries", type=int, default=defaults.ngram_max_entries,
              show_default=True,
              help="Prune the rarest long n-grams until at most this many remain (0: keep "
                   "all); bounds the model file (about 20 bytes per entry).")
@click.option("--ngram-max-tokens", type=int, default=defaults.ngram_max_tokens,
              show_default=True,
              help="Count the n-grams of at most about this many tokens, in evenly spread "
                   "stretches of a longer corpus (0: all); bounds counting time and memory.")
@click.option("--mixed-precision/--float32", default=defaults.mixed_precision,
              show_default=True,
              help="Train in bfloat16 where the CPU has bf16 units; the saved model is float32.")
@click.option("--seed", type=int, default=defaults.seed, show_default=True,
              help="Random seed for the split, shuffling and initial weights.")
@click.option("--backup-dir", type=click.Path(file_okay=False),
              help="Where training state is saved so that the same command resumes an "
                   "interrupted run [default: beside the output, <name>-backup].")
@click.option("--save-every", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also save training state every this many steps (0: each epoch only).")
@click.option("--distribute", type=click.Choice(["none", "mirrored", "multi-worker"]),
              default="none", show_default=True,
              help="Train under tf.distribute: mirrored over this machine's GPUs (or CPU), or "
                   "multi-worker across machines configured by TF_CONFIG (see the README).")
@click.option("--plot/--no-plot", default=True, show_default=True,
              help="Draw the training curves into <name>.png beside the model.")
@click.option("--tensorboard", type=click.Path(file_okay=False),
              help="Also write TensorBoard logs to this folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, only the result.")
def train(corpus, output, quiet, backup_dir, save_every, distribute, plot, tensorboard,
          **options):
    """Train a model on a corpus (files, folders, globs) and write one .keras file.

    \b
    Examples:
      nextword train data/kjv.train.txt
      nextword train my-notes/ -o models/notes.keras --epochs 20
      # the classic Keras tutorial's model:
      nextword train text.txt --embedding-dim 100 --units 128 --no-tie-weights --dropout 0
    """
    from .train import train as run_training

    config = Config(**options).validate()
    from . import storage

    storage.check_writable(output)
    result = run_training(list(corpus), config, output, verbose=0 if quiet else 1,
                          log=lambda line: click.echo(line, err=True),
                          reading_progress=lambda files: byte_progress("reading", files),
                          backup_dir=backup_dir, save_every=save_every, plot=plot,
                          distribute=distribute,
                          extra_callbacks=_tensorboard(tensorboard))
    if result["output"] is None:
        click.echo("worker finished; the chief writes the model")
        return
    if result["interrupted"]:
        click.echo("training was interrupted; the best model so far was saved. Run the same "
                   "command again to resume from the last backup.", err=True)
    click.echo(f"model\t{result['output']}")
    if plot and result["history"]:
        from .train import picture_path

        click.echo(f"training curves\t{picture_path(result['output'])}")
    click.echo(f"validation perplexity\t{result['validation_perplexity']:.2f}")
    click.echo(f"validation accuracy\t{100 * result['validation_accuracy']:.2f}%")
    if result.get("ngram_order"):
        click.echo(f"network alone\tperplexity {result['network_validation_perplexity']:.2f}, "
                   f"accuracy {100 * result['network_validation_accuracy']:.2f}%")
    click.echo(f"training time\t{result['training_seconds']:.0f} s")


def _tensorboard(folder):
    if not folder:
        return ()
    from ._tf import quiet_tensorflow

    quiet_tensorflow()
    import keras

    return (keras.callbacks.TensorBoard(log_dir=folder),)


def _load(model_path, ngram=True):
    from .predictor import Predictor

    return Predictor.load(model_path, ngram=ngram)


def _print_predictions(predictor, prefix, k):
    for word, probability in predictor.predict(prefix, k):
        click.echo(f"{word}\t{probability:.4f}")


@main.command(context_settings=CONTEXT)
@click.argument("prefix", required=False, default="")
@model_option
@click.option("-k", "--top-k", "k", type=int, default=5, show_default=True,
              help="How many next words to list.")
@click.option("-i", "--interactive", is_flag=True,
              help="Read prefixes line by line from standard input and answer each.")
def predict(prefix, model_path, k, interactive):
    """List the most likely next words after PREFIX, as word<TAB>probability.

    \b
    Examples:
      nextword predict "and the lord said"
      nextword predict -k 10 -m models/notes.keras "see you"
      printf 'in the\\nand god\\n' | nextword predict -i
    """
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    predictor = _load(model_path)
    if not interactive:
        _print_predictions(predictor, prefix, k)
        return
    prompt = sys.stdin.isatty()
    try:
        while True:
            if prompt:
                click.echo("> ", nl=False, err=True)
            line = sys.stdin.readline()
            if not line:
                break
            try:
                _print_predictions(predictor, line.rstrip("\n"), k)
            except NextwordError as error:
                click.echo(f"Error: {error}", err=True)
            if not prompt:
                click.echo()
    except KeyboardInterrupt:
        click.echo(err=True)


@main.command(context_settings=CONTEXT)
@click.argument("prefix", required=False, default="")
@model_option
@click.option("-n", "--words", type=int, default=30, show_default=True,
              help="Most words to generate.")
@click.option("--strategy", type=click.Choice(STRATEGIES), default="top-p", show_default=True,
              help="How to choose each word: the most likely, a draw from all, from the k most "
                   "likely, from the nucleus of probability p, or beam search.")
@click.option("--temperature", type=float, default=0.8, show_default=True,
              help="Below 1 sharpens the distribution, above 1 flattens it.")
@click.option("--top-k", type=int, default=40, show_default=True,
              help="Words to draw from with --strategy top-k.")
@click.option("--top-p", type=float, default=0.9, show_default=True,
              help="Probability mass to draw from with --strategy top-p.")
@click.option("--beams", type=int, default=4, show_default=True,
              help="Hypotheses kept with --strategy beam.")
@click.option("--repetition-penalty", type=float, default=1.2, show_default=True,
              help="Above 1 makes words already used less likely (1 turns it off).")
@click.option("--no-repeat-ngram", type=int, default=0, show_default=True,
              help="Never repeat an n-gram of this many words (0 turns it off).")
@click.option("--stop-at-eol", is_flag=True, help="End the text at the first end of line.")
@click.option("--seed", type=int, default=None, help="Random seed: same seed, same text.")
@click.option("--count", type=int, default=1, show_default=True,
              help="How many continuations to print, separated by blank lines.")
def generate(prefix, model_path, words, strategy, temperature, top_k, top_p, beams,
             repetition_penalty, no_repeat_ngram, stop_at_eol, seed, count):
    """Continue PREFIX with generated text.

    \b
    Examples:
      nextword generate "and god said" --seed 1
      nextword generate "in the beginning" --strategy beam --beams 8 --stop-at-eol
      nextword generate "the king" --strategy top-k --top-k 20 --count 3
    """
    from .sampling import check_temperature, make_sampler

    if words < 1:
        raise NextwordError(f"--words must be at least 1, got {words}")
    if count < 1:
        raise NextwordError(f"--count must be at least 1, got {count}")
    if beams < 1:
        raise NextwordError(f"--beams must be at least 1, got {beams}")
    check_temperature(temperature)
    if strategy != "beam":
        make_sampler(strategy, top_k, top_p)
    if top_k < 1:
        raise NextwordError(f"--top-k must be at least 1, got {top_k}")
    if not 0 < top_p <= 1:
        raise NextwordError(f"--top-p must be in (0, 1], got {top_p}")
    predictor = _load(model_path)
    for index in range(count):
        text = predictor.generate(
            prefix, words=words, strategy=strategy, temperature=temperature, top_k=top_k,
            top_p=top_p, beams=beams, repetition_penalty=repetition_penalty,
            no_repeat_ngram=no_repeat_ngram, stop_at_eol=stop_at_eol,
            seed=None if seed is None else seed + index)
        if index:
            click.echo()
        joined = prefix + ("" if not text or text[0] in ",.;:?!)'\n" or not prefix else " ") + text
        click.echo(joined.rstrip("\n"))


@main.command(context_settings=CONTEXT)
@click.argument("text", nargs=-1, required=True)
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@click.option("--ngram/--network-only", default=True, show_default=True,
              help="Score with the model's n-gram mixture, or the network alone.")
def evaluate(text, model_path, as_json, ngram):
    """Report perplexity and top-1/top-5 accuracy of a model on held-out TEXT files.

    \b
    Example:
      nextword evaluate data/kjv.valid.txt --json
    """
    from .metrics import evaluate as run_evaluation

    found = find_files(text)
    predictor = _load(model_path, ngram=ngram)
    with byte_progress("evaluating", found.files) as update:
        result = run_evaluation(predictor, list(text), on_bytes=update, found=found)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    click.echo(f"tokens\t{result.tokens}")
    click.echo(f"perplexity\t{result.perplexity:.2f}")
    click.echo(f"top-1 accuracy\t{100 * result.top1_accuracy:.2f}%")
    click.echo(f"top-5 accuracy\t{100 * result.top5_accuracy:.2f}%")
    click.echo(f"unknown-word rate\t{100 * result.unknown_rate:.2f}%")


@main.command(context_settings=CONTEXT)
@model_option
def info(model_path):
    """Describe a model: its network, vocabulary, corpus and training results.

    \b
    Example:
      nextword info -m models/notes.keras
    """
    predictor = _load(model_path)
    config, training = predictor.config, predictor.training
    rows = [
        ("model", model_path),
        ("cell", config.cell), ("layers", config.layers), ("units", config.units),
        ("embedding dim", config.embedding_dim), ("tied weights", config.tie_weights),
        ("parameters", predictor.core.count_params()),
        ("vocabulary size", len(predictor.vocabulary)),
        ("sequence length", config.sequence_length),
        ("corpus files", ", ".join(config.corpus)),
        ("corpus tokens", training.get("corpus_tokens")),
        ("epochs", training.get("epochs")),
        ("training time", f"{training.get('training_seconds', 0):.0f} s"),
        ("validation perplexity", f"{training.get('validation_perplexity', float('nan')):.2f}"),
        ("validation accuracy", f"{100 * training.get('validation_accuracy', 0):.2f}%"),
        ("n-gram order", training.get("ngram_order") or "none"),
        ("n-gram entries", training.get("ngram_entries", 0)),
        ("nextword version", predictor.meta.get("versions", {}).get("nextword")),
        ("keras version", predictor.meta.get("versions", {}).get("keras")),
    ]
    for name, value in rows:
        click.echo(f"{name}\t{value}")
