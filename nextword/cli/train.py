"""`nextword preprocess` and `nextword train`: reading a corpus, and training a model on it."""

from __future__ import annotations

import click

from ..config import Config
from ..errors import NextwordError
from ..text.corpus import find_files
from ..training.continuing import BASE_WEIGHT
from .common import byte_progress, given, os_error_line
from .options import CONTEXT, config_options, training_options


@click.command(context_settings=CONTEXT)
@click.argument("corpus", nargs=-1, required=True)
@config_options("tokenizer", "max_vocab", "min_count", "lowercase", "encoding")
@click.option("--vocab-out", type=click.Path(dir_okay=False, writable=True),
              help="Write the kept vocabulary to this file, one token per line, in id order.")
@click.option("--top", type=int, default=20, show_default=True,
              help="How many of the most common words to list.")
def preprocess(corpus, tokenizer, max_vocab, min_count, lowercase, encoding, vocab_out, top):
    """Read a corpus (files, folders, globs) and report what a model would see.

    \b
    Example:
      nextword preprocess data/ --min-count 3 --vocab-out vocab.txt
    """
    from ..text.corpus import sample_text
    from ..text.scan import scan_corpus
    from ..text.segment import choose
    from ..text.tokenize import tokenize
    from ..text.vocab import SPECIALS, Vocabulary

    config = Config(max_vocab=max_vocab, min_count=min_count, lowercase=lowercase,
                    encoding=encoding, tokenizer=tokenizer).validate()
    found = find_files(corpus)
    sample = sample_text(found.files, config.encoding)
    if config.tokenizer == "auto":
        config.tokenizer = choose(sample)
        chosen = " (chosen by auto)"
    else:
        chosen = ""
    with byte_progress("reading", found.files) as update:
        scan = scan_corpus(corpus, config.lowercase, config.encoding, on_bytes=update,
                           found=found, tokenizer=config.tokenizer, forms=False)
    vocabulary = Vocabulary.build(scan.counts, config.max_vocab, config.min_count,
                                  spell=config.spells)
    for path in scan.skipped:
        click.echo(f"skipped {path}: not a text file", err=True)
    click.echo(f"files\t{len(scan.files)}")
    click.echo(f"lines\t{scan.lines}")
    click.echo(f"tokens\t{scan.tokens}")
    click.echo(f"vocabulary before cut\t{len(scan.counts)}")
    click.echo(f"vocabulary after cut\t{len(vocabulary)}")
    click.echo(f"coverage\t{100 * vocabulary.coverage(scan.counts):.2f}%")
    click.echo(f"tokenizer\t{config.tokenizer}{chosen}")
    for line in [line for line in sample.splitlines() if line.strip()][:3]:
        shown = " ".join(tokenize(line, config.lowercase, tokenizer=config.tokenizer))
        click.echo(f"sample\t{shown[:200]}")
    common = [(w, c) for w, c in scan.counts.most_common(top + len(SPECIALS)) if w not in SPECIALS]
    click.echo("most common words:")
    for word, count in common[:top]:
        click.echo(f"{word}\t{count}")
    if vocab_out:
        vocabulary.save(vocab_out)
        click.echo(f"vocabulary written to {vocab_out}")


@click.command(context_settings=CONTEXT)
@click.argument("corpus", nargs=-1, required=True)
@training_options
@click.option("--from", "base_path", type=click.Path(), metavar="BASE.keras",
              help="Continue training this model on CORPUS: its weights, vocabulary (CORPUS's "
                   "new words added), tokenizer and architecture; its options unless given.")
@click.option("--base-weight", type=float, default=None,
              help=f"With --from: the base's n-gram counts count this much against CORPUS's "
                   f"(0: the n-gram model of CORPUS alone). [default: {BASE_WEIGHT}]")
@click.option("--budget", metavar="DURATION", default=None,
              help="How long the whole run may take (30m, 1h30m, 90s): the network's units, "
                   "layers, dropout, annealed share and epochs (and bfloat16 where faster) are "
                   "chosen for the corpus and this machine's measured speed, and the n-gram "
                   "order (5-8, unless --ngram-order) on held-out text. Not to be "
                   "confused with --max-minutes, which only stops training.")
def train(corpus, output, quiet, backup_dir, save_every, distribute, plot, tensorboard,
          base_path, base_weight, budget, **options):
    """Train a model on a corpus (files, folders, globs) and write one .keras file.

    \b
    Examples:
      nextword train data/kjv.train.txt
      nextword train my-notes/ -o models/notes.keras --epochs 20
      # the classic Keras tutorial's model:
      nextword train text.txt --embedding-dim 100 --units 128 --no-tie-weights --dropout 0
      # the best network this machine can train in half an hour:
      nextword train my-notes/ --budget 30m
      # continue training the model on new text (architecture options are the base's):
      nextword train notes.txt --from models/nextword.keras -o models/notes.keras
    """
    from ..training.pipeline import train as run_training

    seconds, ngram_lowest = None, 0
    if budget is not None:
        from ..training.budget import CHOSEN, NGRAM_ORDERS, parse

        seconds = parse(budget)
        clashing = [name for name in CHOSEN if name in given(options)]
        if clashing:
            flag = "--" + clashing[0].replace("_", "-")
            raise NextwordError(f"--budget chooses {flag} itself; leave {flag} out or drop "
                                "--budget")
        if "ngram_order" not in given(options):  # the order too, on held-out text
            ngram_lowest, options["ngram_order"] = NGRAM_ORDERS
    base = None
    if base_path is None:
        if base_weight is not None:
            raise NextwordError("--base-weight is for continuing: give --from BASE.keras too")
        config = Config(**options)
    else:
        from ..training.continuing import Base, config_for

        if base_weight is not None and not base_weight >= 0:
            raise NextwordError(f"--base-weight must be 0 or more, got {base_weight}")
        base = Base.read(base_path)
        config = config_for(base, options, given(options))
    try:
        result = run_training(list(corpus), config, output,
                              verbose=0 if quiet else "auto",
                              log=lambda line: click.echo(line, err=True),
                              reading_progress=lambda files: byte_progress("reading", files),
                              backup_dir=backup_dir, save_every=save_every, plot=plot,
                              distribute=distribute, tensorboard=tensorboard, base=base,
                              base_weight=BASE_WEIGHT if base_weight is None else base_weight,
                              budget=seconds, ngram_lowest=ngram_lowest)
    except OSError as error:  # a disk or permission failure mid-run: one line, not a traceback
        raise NextwordError(os_error_line(error)) from None
    if result.output is None:
        click.echo("worker finished; the chief writes the model")
        return
    if result.interrupted:
        click.echo("training was interrupted; the best model so far was saved. Run the same "
                   "command again to resume from the last backup.", err=True)
    click.echo(f"model\t{result.output}")
    if plot and result.history:
        from ..training.outputs import picture_path

        click.echo(f"training curves\t{picture_path(result.output)}")
    click.echo(f"validation perplexity\t{result.validation_perplexity:.2f}")
    click.echo(f"validation accuracy\t{100 * result.validation_accuracy:.2f}%")
    if result.ngram_order:
        click.echo(f"network alone\tperplexity {result.network_validation_perplexity:.2f}, "
                   f"accuracy {100 * result.network_validation_accuracy:.2f}%")
    click.echo(f"training time\t{result.training_seconds:.0f} s")
