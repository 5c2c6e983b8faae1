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

from .._version import __version__
from ..config import Config
from ..training.continuing import BASE_WEIGHT
from ..errors import NextwordError
from .options import DEFAULT_MODEL, config_options, generation_options, training_options
from ..text.corpus import find_files

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

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
        except OSError as error:  # a disk, a permission, a path: name it, no traceback
            where = f"{error.filename}: " if error.filename else ""
            raise click.ClickException(f"{where}{error.strerror or error}; check the path "
                                       "and the disk") from None


def _given(options: dict) -> set:
    """The names among options that the user set on the command line (not defaults)."""
    source = click.get_current_context().get_parameter_source
    defaults = (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP)
    return {name for name in options if source(name) not in defaults}


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
    from ..text.scan import scan_corpus
    from ..text.vocab import SPECIALS, Vocabulary

    from ..text.segment import choose
    from ..text.corpus import sample_text
    from ..text.tokenize import tokenize

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
                           found=found, tokenizer=config.tokenizer)
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


@main.command(context_settings=CONTEXT)
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
        clashing = [name for name in CHOSEN if name in _given(options)]
        if clashing:
            flag = "--" + clashing[0].replace("_", "-")
            raise NextwordError(f"--budget chooses {flag} itself; leave {flag} out or drop "
                                "--budget")
        if "ngram_order" not in _given(options):  # the order too, on held-out text
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
        config = config_for(base, options, _given(options))
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
        raise NextwordError(_os_error_line(error)) from None
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


def _os_error_line(error: OSError) -> str:
    path = " and ".join(str(p) for p in (error.filename, error.filename2) if p) or "a file"
    return (f"{path}: {error.strerror or error}; check the path, its permissions and the free "
            "disk space, then run the same command again")


def _load(model_path, ngram=True):
    from ..engine.predictor import Predictor

    return Predictor.load(model_path, ngram=ngram)


def _print_suggestions(suggestions):
    for word, probability in suggestions:
        click.echo(f"{word}\t{probability:.4f}")


def _answer_lines(answer):
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


k_option = click.option("-k", "--top-k", "k", type=int, default=5, show_default=True,
                        help="How many words to list.")
interactive_option = click.option(
    "-i", "--interactive", is_flag=True,
    help="Read texts line by line from standard input and answer each.")


def suggestion_options(command):
    """-m, -k and -i: the options of the commands that suggest words (predict, complete)."""
    return model_option(k_option(interactive_option(command)))


@main.command(context_settings=CONTEXT)
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
    _suggest(model_path, prefix, k, interactive, "predict")


@main.command(context_settings=CONTEXT)
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
        _suggest(model_path, text, k, interactive, "complete")
        return
    from ..engine.online import OnlineLearner, finished_lines
    from ..storage import check_writable

    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    predictor = _load(model_path)
    check_writable(model_path)
    finished = finished_lines()
    with OnlineLearner(predictor, log=lambda line: click.echo(line, err=True)) as learner:
        def answer(line):
            done = finished(line)
            if done:
                learner.submit(done)  # learned on the learner's thread: no answer waits
            _print_suggestions(predictor.complete(line, k))

        _answer_lines(answer)
        done = finished(None)
        if done:
            learner.submit(done)


def _suggest(model_path, text, k, interactive, method):
    """Print the predictor's `method` (predict, complete) for text, or for each input line."""
    if k < 1:
        raise NextwordError(f"-k/--top-k must be at least 1, got {k}")
    suggest = getattr(_load(model_path), method)
    if not interactive:
        _print_suggestions(suggest(text, k))
        return
    _answer_lines(lambda line: _print_suggestions(suggest(line, k)))


@main.command(context_settings=CONTEXT)
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
    predictor = _load(model_path)
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


@main.command(context_settings=CONTEXT)
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
def evaluate(text, model_path, as_json, ngram, keystrokes, suggestions):
    """Report perplexity and top-1/top-5 accuracy of a model on held-out TEXT files.

    With --keystrokes, also the keystroke savings: before each keystroke the typist sees
    --suggestions words for the word being typed (`complete` given the line so far) and takes
    the word as soon as it is offered (one keystroke, the space after it free).

    \b
    Examples:
      nextword evaluate data/kjv.valid.txt --json
      nextword evaluate data/kjv.valid.txt --keystrokes --suggestions 5
    """
    from ..engine.evaluation import evaluate as run_evaluation

    if suggestions < 1:
        raise NextwordError(f"--suggestions must be at least 1, got {suggestions}")
    found = find_files(text)
    predictor = _load(model_path, ngram=ngram)
    with byte_progress("evaluating", found.files) as update:
        result = run_evaluation(predictor, list(text), on_bytes=update, found=found)
    report = result.to_dict()
    if keystrokes:
        from ..engine.keystrokes import simulate

        with byte_progress("typing", found.files) as update:
            typed = simulate(predictor, found.files, [suggestions], on_bytes=update)[suggestions]
        report.update(keystroke_savings=typed.savings, suggestions=suggestions)
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


@main.command(context_settings=CONTEXT)
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
    predictor = _load(model_path)
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


@main.command(context_settings=CONTEXT)
@model_option
def info(model_path):
    """Describe a model: its network, vocabulary, corpus and training results.

    \b
    Example:
      nextword info -m models/notes.keras
    """
    described = _load(model_path).describe()
    shown = {"training seconds": lambda v: ("training time", f"{v:.0f} s"),
             "validation perplexity": lambda v: ("validation perplexity", f"{v:.2f}"),
             "validation accuracy": lambda v: ("validation accuracy", f"{100 * v:.2f}%"),
             "n-gram order": lambda v: ("n-gram order", v or "none")}
    rows = [shown[name](value) if name in shown and value is not None else (name, value)
            for name, value in described.items()]
    for name, value in rows:
        click.echo(f"{name}\t{value}")


@main.command(context_settings=CONTEXT)
@model_option
@click.option("--format", "export_format", required=True, metavar="FORMAT",
              help="litert (the network as a .tflite step), onnx (the same step as .onnx), "
                   "arpa (the n-gram model as an ARPA file) or vocab (one word per line).")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="The file to write; PATH.json (the sidecar) and, for litert, onnx and "
                   "arpa, STEM.vocab.txt are written beside it.")
@click.option("--quantize", metavar="dynamic", default=None,
              help="With --format litert: store the weights as int8 (dynamic-range "
                   "quantisation), about a quarter of the float32 size.")
def export(model_path, export_format, output, quantize):
    """Write the model in a format other runtimes read: LiteRT, ONNX, ARPA or a word list.

    The network is exported as a one-token step (token id and recurrent state in, next-token
    log-probabilities and new state out); the sidecar PATH.json says how to tokenise, step and
    mix with the n-gram model like nextword. Words learned with `nextword learn` are not
    exported (the base model is).

    \b
    Examples:
      nextword export --format litert -o models/nextword.tflite
      nextword export --format litert --quantize dynamic -o models/nextword-int8.tflite
      nextword export --format arpa -o models/nextword.arpa
    """
    from ..export import check, export as run_export, vocabulary_path

    check(export_format, output, quantize)
    meta = run_export(model_path, export_format, output, quantize)
    written = [output] + ([vocabulary_path(output, export_format)]
                          if export_format != "vocab" else []) + [output + ".json"]
    for path in written:
        click.echo(f"wrote\t{path}")
    if "arpa_ngrams" in meta:
        click.echo("n-grams\t" + ", ".join(f"{count:,} of order {n}"
                                           for n, count in meta["arpa_ngrams"].items()))


@main.command(context_settings=CONTEXT)
@model_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets anyone on the network use the server.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Let web pages from ORIGIN (e.g. http://localhost:3000) call the API; "
                   "repeat for several. Cross-origin requests are refused otherwise.")
@click.option("--cache", "cache_size", type=click.IntRange(min=0), default=256,
              show_default=True,
              help="Texts whose model state is kept, so that the next keystroke or word costs "
                   "one step instead of re-reading the text (0: none; about 4 bytes per "
                   "vocabulary word each).")
@click.option("--learn", "learn_lines", is_flag=True,
              help="Learn each line users finish (POST /v1/learn; the page sends a line when "
                   "Enter is pressed) and save the model every few seconds and on exit.")
def serve(model_path, host, port, cors_origins, cache_size, learn_lines):
    """Serve the model over HTTP: a JSON API and a page that suggests words as you type.

    The model is loaded once; the API is POST /v1/complete, /v1/predict, /v1/generate,
    GET /v1/model and /healthz, described at /docs. Ctrl-C stops the server.

    \b
    Examples:
      nextword serve
      nextword serve -m models/notes.keras --port 8080
      curl -s localhost:8000/v1/complete -d '{"text": "and the lo"}'
    """
    from ..serve.app import serve as run_server

    from ..engine.predictor import Predictor

    predictor = Predictor.load(model_path, cache_size=cache_size)
    learner = None
    if learn_lines:
        from ..engine.online import OnlineLearner
        from ..storage import check_writable

        check_writable(model_path)
        learner = OnlineLearner(predictor, log=lambda line: click.echo(line, err=True))

    def ready(url):
        click.echo(f"nextword is serving {model_path} at {url} (Ctrl-C stops it)", err=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"warning: listening on {host}: anyone who can reach this machine can "
                       f"use the server at {url}", err=True)

    run_server(predictor, host, port, cors_origins, ready=ready, learner=learner)


@main.command(context_settings=CONTEXT)
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
    predictor = _load(model_path)
    if words:
        changed = predictor.unforget(words) if undo else predictor.forget(words)
        if changed:
            predictor.save()
        verb = "unblocked" if undo else "blocked"
        click.echo(f"{verb} {len(changed)} word(s) in {model_path}; "
                   f"{len(predictor.blocked)} blocked in all", err=True)
    if show:
        for word in predictor.blocked_words:
            click.echo(word)
