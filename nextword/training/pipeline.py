"""Training: corpus -> vocabulary -> windows -> fitted network -> one .keras file.

`train()` is what `nextword train` and the Python API call. It checks every path it will write,
then runs its phases, each a function below: read and count the corpus, build the vocabulary
and windows, fit, export with the n-gram model, save. Keras does the heavy lifting (fit, early
stopping, the learning-rate schedule, backups); the model file is written atomically, and the
best model so far is kept if training is interrupted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import time
from dataclasses import dataclass

from .. import storage
from .._version import __version__
from ..config import Config
from ..errors import NextwordError
from ..results import CONTINUED_FROM, TrainingResult
from ..text.corpus import find_files, sample_text
from ..text.scan import CorpusScan, encode_scan, scan_corpus
from ..text.segment import choose as choose_tokenizer, reserved_characters
from ..text.casing import SurfaceForms
from ..text.vocab import SPECIALS, Vocabulary
from .calibration import calibrate_phrases, phrase_cases
from .continuing import BASE_WEIGHT, Base, check_architecture, grow_vocabulary
from .distribute import is_chief, make_strategy, task
from .outputs import RunPaths, read_history, trim_history
from .scratch import scratch_folder
from .trainer import build_trainer, compute_dtype, cpu_has_bf16
from .windows import Windows

STATEFUL_BLOCK = 16  # stateful training holds out runs of this many windows (state carried)


# ----- the phases ----------------------------------------------------------------------------
def resolve_tokenizer(config: Config, files, log=print) -> None:
    """Turn tokenizer "auto" into the tokenizer the corpus needs, once: it is saved."""
    if config.tokenizer != "auto":
        return
    config.tokenizer = choose_tokenizer(sample_text(files, config.encoding))
    if config.tokenizer != "words":  # worth saying: the text is not read word by word
        log(f"tokenizer: {config.tokenizer} (chosen by auto from the corpus's scripts)")


def read_corpus(corpus, config: Config, scratch: str, reading_progress=None,
                log=print) -> CorpusScan:
    """Phase 1: read and count the corpus in one pass, its token ids kept in scratch."""
    found = find_files(corpus)
    resolve_tokenizer(config, found.files, log)
    progress = reading_progress(found.files) if reading_progress else contextlib.nullcontext()
    with progress as on_bytes:
        scan = scan_corpus(corpus, config.lowercase, config.encoding,
                           ids_path=os.path.join(scratch, "raw.ids"), on_bytes=on_bytes,
                           found=found, tokenizer=config.tokenizer)
    for path in scan.skipped:
        log(f"skipped {path}: not a text file")
    return scan


def make_windows(scan: CorpusScan, config: Config, scratch: str, log=print,
                 base: Base | None = None) -> tuple[Vocabulary, Windows]:
    """Phase 2: the vocabulary, the corpus as its ids, and the training and held-out windows.

    Continuing from base: its vocabulary, with the corpus's words it lacks added after it.
    """
    if base is None:
        vocabulary = Vocabulary.build(scan.counts, config.max_vocab, config.min_count,
                                      spell=config.spells,
                                      reserved=reserved_characters(config.tokenizer))
    else:
        vocabulary, added = grow_vocabulary(base.vocabulary, scan.counts, config.max_vocab,
                                            config.min_count)
        log(f"vocabulary: {len(base.vocabulary):,} words of {base.path}, {len(added):,} "
            f"added from the corpus (--min-count {config.min_count}, --max-vocab "
            f"{config.max_vocab:,})")
    ids = encode_scan(scan, vocabulary, os.path.join(scratch, "vocab.ids"))
    windows = Windows(ids, config.sequence_length, config.validation_split, config.seed,
                      block=STATEFUL_BLOCK if config.stateful else 1)
    for split, starts in (("training", windows.train), ("validation", windows.validation)):
        if config.stateful and len(starts) < config.batch_size:
            raise NextwordError(f"stateful training needs at least --batch-size "
                                f"{config.batch_size} {split} windows, the corpus gives "
                                f"{len(starts)}; lower --batch-size or --sequence-length, add "
                                "text, or use --windows")
    config.corpus = [os.path.abspath(path) for path in scan.files]
    log(f"corpus: {len(scan.files)} files, {scan.tokens:,} tokens, vocabulary "
        f"{len(vocabulary):,} words; {len(windows.train):,} training and "
        f"{len(windows.validation):,} validation windows of {config.sequence_length}")
    return vocabulary, windows


def surface_forms(scan: CorpusScan, vocabulary: Vocabulary, config: Config,
                  base: Base | None = None) -> SurfaceForms | None:
    """How the corpus writes each word of the vocabulary (a lowercasing model's only), with
    what a base model knew of it added."""
    if not config.lowercase:
        return None
    forms = SurfaceForms.build(vocabulary.tokens[len(SPECIALS):], scan.counts, scan.forms,
                               scan.first, scan.capitals)
    return base.forms.merged(forms) if base is not None and base.forms else forms


@dataclass
class Fitted:
    core: object  # the trained network (keras.Model)
    history: dict  # per epoch, of the whole run when the CSV log has it
    interrupted: bool
    dtype: str


def fit(config: Config, vocab_size: int, windows: Windows, paths: RunPaths, backup,
        distribute: str = "none", verbose: int = 1, log=print, extra_callbacks=(),
        started: float | None = None, base: Base | None = None) -> Fitted:
    """Phase 3: build the network, start from base's weights (continuing), resume from the
    backup if there is one, and fit.

    Ctrl-C stops fitting and keeps the best weights so far (NextwordError before any epoch).
    """
    import keras

    from .callbacks import Anneal, EpochLines, PerplexityLogs, ResetStates, TimeLimit, find

    keras.utils.set_random_seed(config.seed)
    dtype = compute_dtype(config)
    strategy = make_strategy(distribute)
    workers = task()[2] if distribute == "multi-worker" else 1
    sampled = bool(config.sampled_softmax) and vocab_size > 2 * config.sampled_softmax
    core, trainer = build_trainer(config, vocab_size, strategy, distribute, sampled, dtype)
    with strategy.scope():
        if base is not None:
            from ..network import loading
            from ..network.model import CORE_NAME, transfer_weights

            base_model, _ = loading.load(base.path)
            transfer_weights(core, base_model.get_layer(CORE_NAME))
            del base_model
        else:  # a fresh network starts at the unigram (a resumed one then loads its backup)
            from ..network.model import set_output_prior

            set_output_prior(core, windows.training_counts(vocab_size))
        first_epoch = backup.restore(trainer)
    # A resumed run's time limit and annealed rate count the time its backup had spent.
    spent, fit_spent = backup.spent()  # zeros when nothing was restored
    started = (started or time.time()) - spent
    if first_epoch:
        used = (f" ({spent / 60:.1f} of its {config.max_minutes:g} minutes spent)"
                if config.max_minutes and spent else "")
        log(f"resuming from {backup.folder} after epoch {first_epoch}{used}")
    deadline = started + config.max_minutes * 60 if config.max_minutes else None
    if config.lr_schedule == "anneal":
        schedule = Anneal(config.learning_rate, config.epochs, deadline,
                          share=config.anneal_share, spent=fit_spent)
    else:
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                     patience=0, min_delta=0.002, verbose=0)
    callbacks = [
        PerplexityLogs(sampled),
        schedule,
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                      restore_best_weights=True, verbose=0),
    ]
    if deadline is not None:
        callbacks.append(TimeLimit(deadline))
    if verbose == 2:
        callbacks.append(EpochLines(config.epochs, log))
    if paths.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=paths.tensorboard))
    if paths.history:
        # The log holds the epochs the backup holds, no more; it is written before the backup
        # at each epoch's end, so that a run stopped between the two drops the extra line.
        trim_history(paths.history, first_epoch)
        callbacks.append(keras.callbacks.CSVLogger(paths.history, append=bool(first_epoch)))
    if config.stateful:
        callbacks.insert(0, ResetStates(core))
    callbacks += [backup.callback(started), *extra_callbacks]
    stopper = find(callbacks, keras.callbacks.EarlyStopping)
    interrupted = False
    history = {}
    try:
        history = trainer.fit(windows.dataset("train", config.batch_size,
                                              first_epoch=first_epoch, shards=workers,
                                              streams=config.stateful),
                              validation_data=windows.dataset("validation", config.batch_size,
                                                              shards=workers,
                                                              streams=config.stateful),
                              epochs=config.epochs, initial_epoch=first_epoch,
                              callbacks=callbacks, verbose=1 if verbose == 1 else 0,
                              shuffle=False).history
    except KeyboardInterrupt:
        interrupted = True
        if stopper.best_weights is None:
            raise NextwordError(f"training interrupted before the first epoch ended; no "
                                f"model was saved. Run the same command again to resume "
                                f"from {backup.folder}") from None
        trainer.set_weights(stopper.best_weights)
        log("training interrupted: saving the best model so far")
    if paths.history:  # Keras's History holds this fit() only; the log holds the whole run
        history = read_history(paths.history)
    history = {key: [float(v) for v in values] for key, values in history.items()}
    return Fitted(core, history, interrupted, dtype)


def export(core, config: Config, vocabulary: Vocabulary, windows: Windows, ngram: bool = True,
           log=print, base_counts=None, base_weight: float = 1.0, ngram_lowest: int = 0):
    """Phase 4: the float32 predictor model, with the n-gram model counted and mixed in.

    base_counts: a base model's n-gram counts, added times base_weight to the corpus's.
    ngram_lowest: the n-gram order is chosen from this one to config.ngram_order (fit_ngram).
    Returns (predictor model, held-out results of fit_ngram, the n-gram counts or None, the
    n-gram model before the held-out text was counted or None).
    """
    from ..network.model import build_model, build_predictor_model
    from .mixing import fit_ngram

    # Export in float32 whatever the training precision: predictions stay exact.
    export_core = build_model(config, len(vocabulary))
    export_core.set_weights(core.get_weights())
    table, mixture, held_out, counts, unseen = fit_ngram(
        export_core, windows, len(vocabulary), config.ngram_order if ngram else 0,
        config.ngram_max_entries, config.ngram_max_tokens, log, base_counts=base_counts,
        base_weight=base_weight, lowest=ngram_lowest)
    return (build_predictor_model(export_core, vocabulary, table, mixture), held_out, counts,
            unseen)


def save(model, config: Config, result: TrainingResult, paths: RunPaths, backup_folder: str,
         counts=None, continued_from: dict | None = None, forms: SurfaceForms | None = None,
         calibrate=None, scratch: str | None = None, log=print):
    """Phase 5: the model file, its training-curve picture, and the backup no longer needed.

    counts: the n-gram counts (counts.py), kept in the file so `train --from` can add to them.
    continued_from: what a continued run started from (Base.record), kept in the metadata.
    forms: how the corpus writes the words (text/casing.py), for suggestions as written.
    calibrate: path -> phrases.Calibration or None, given the model written to scratch
        first; what it finds is saved in the results (the model file is written once).
        Should it fail or be interrupted, the model is written without it.
    """
    import keras

    def meta():
        values = {"config": config.to_dict(), "training": result.to_dict(),
                  "versions": {"nextword": __version__, "keras": keras.__version__}}
        if continued_from is not None:
            values[CONTINUED_FROM] = continued_from
        return values

    extra = {storage.COUNTS_ENTRY: counts.to_bytes() if counts is not None else None,
             storage.FORMS_ENTRY: forms.to_bytes() if forms is not None else None}
    draft = None
    if calibrate is not None and scratch is not None:
        # Measured before the model's path is locked: its other writers (learn, a server)
        # need not wait the half minute this takes.
        draft = os.path.join(scratch, "calibrating.keras")
        storage.save(model, meta(), draft, extra)
        try:
            found = calibrate(draft)
        except (Exception, KeyboardInterrupt) as error:  # the trained model is kept
            log(f"phrases: the threshold was not calibrated ({type(error).__name__}"
                f"{': ' + str(error).splitlines()[0] if str(error) else ''}); the "
                "default stays")
            found = None
        if found is not None:
            result.phrase_threshold = found.threshold
            result.phrase_precision = None if found.precision is None \
                else round(found.precision, 4)
            result.phrase_rate = round(found.rate, 4)
    with storage.writing(paths.model):  # one writer at a time, and never a followed file
        storage.check_not_followed(paths.model)
        if draft is None:
            storage.save(model, meta(), paths.model, extra)
        else:
            storage.rewrite_meta(draft, meta(), paths.model)
    if paths.picture and result.history:
        from .plot import plot_history

        plot_history(result.history, paths.picture,
                     f"{config.cell} {config.layers}x{config.units} on "
                     f"{', '.join(os.path.basename(p) for p in config.corpus[:3])}")
    if not result.interrupted and os.path.isdir(backup_folder):
        shutil.rmtree(backup_folder, ignore_errors=True)


def check_base(base: Base, config: Config, output: str, base_weight: float) -> None:
    """Refuse a continued run that cannot work, before anything is read or trained."""
    check_architecture(config, base)
    if os.path.realpath(output) == os.path.realpath(base.path):  # a link to it, too
        raise NextwordError(f"-o/--output {output} is the model continued from; write to "
                            "another file (the base must stay as it is while an interrupted "
                            "run can resume from it)")
    if not base_weight >= 0:
        raise NextwordError(f"--base-weight must be 0 or more, got {base_weight}")


def progress_verbosity() -> int:
    """Keras's progress bar on a terminal; one line per epoch in a pipe, file or notebook."""
    return 1 if sys.stdout.isatty() else 2


def train(corpus, config: Config, output: str, verbose: int | str = "auto", log=print,
          reading_progress=None, backup_dir: str | None = None, save_every: int = 0,
          extra_callbacks=(), plot: bool = True, distribute: str = "none",
          tensorboard: str | None = None, base: str | Base | None = None,
          base_weight: float = BASE_WEIGHT, budget: float | None = None,
          ngram_lowest: int = 0) -> TrainingResult:
    """Train a model on the corpus files, folders or globs and save it to output.

    Args:
        corpus: paths, folders or glob patterns of text.
        config: every training option; a copy, its values resolved (the tokenizer, what the
            budget chose), is saved in the model file, and config itself is not changed.
        output: the .keras file to write (replaced atomically).
        verbose: 0 silent, 1 Keras's progress bar, 2 one line per epoch through log; "auto":
            the bar on a terminal, lines otherwise.
        log: where one-line progress messages go.
        backup_dir: where training state is saved each epoch (and every save_every steps) so
            that the same command resumes an interrupted run; default `<output>-backup`.
        save_every: also back up every this many steps (0: at the end of each epoch only).
        extra_callbacks: more Keras callbacks for fit (a notebook's own logging, say).
        plot: draw the training curves into `<name>.png` beside the model.
        distribute: "none", "mirrored" (all local devices) or "multi-worker" (TF_CONFIG);
            under multi-worker only the chief writes the model.
        tensorboard: a folder for TensorBoard logs (none without it).
        reading_progress: files -> context manager yielding a callback that is given the
            byte count of each chunk read (a progress bar for the corpus pass).
        budget: seconds the whole run may take: the network's size, its epochs and
            max_minutes are chosen for it by a probe of this machine's speed (budget.py).
        base: continue from this model file (`train --from`): its weights, vocabulary (the
            corpus's new words added), tokenizer and architecture, which config must match
            (continuing.config_for makes such a config).
        base_weight: the base's n-gram counts are added to the corpus's times this weight.
        ngram_lowest: fit every n-gram order from this one up to config.ngram_order after
            training and keep the lowest that mixes within 0.1% of the best on the held-out
            text (mixing.fit_ngram; the saved config says which); 0: config.ngram_order
            only. `train --budget` without --ngram-order asks for orders 5 to 8.
    Returns:
        A TrainingResult (its output is None on a worker that is not the chief).
    """
    # A copy: the run resolves and chooses options (the tokenizer, the budget's network), which
    # the saved model holds; the caller's config stays as given, ready for another run.
    config = Config.from_dict(config.to_dict()).validate()
    if budget is None and config.mixed_precision is None:  # unset: float32 without a probe
        config.mixed_precision = False
    if config.stateful and distribute == "multi-worker":  # workers would deal out batches
        raise NextwordError("--stateful trains on one machine (--distribute none or "
                            "mirrored); use --windows with --distribute multi-worker")
    if budget is not None and base is not None:
        raise NextwordError("--budget chooses the network's size, which --from takes from the "
                            "base; give one of them")
    chief = is_chief(distribute)
    paths = RunPaths.plan(output, backup_dir, plot, tensorboard, chief).check()
    if base is not None:
        base = base if isinstance(base, Base) else Base.read(base)
        check_base(base, config, output, base_weight)
    if tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise NextwordError("--tensorboard needs the tensorboard package; install it "
                            "(pip install tensorboard) or leave the option out")
    if verbose == "auto":
        verbose = progress_verbosity()
    from ..network._tf import quiet_tensorflow

    quiet_tensorflow()
    from .backup import Backup

    started = time.time()
    with scratch_folder() as scratch:
        # Each worker keeps its own state; only the chief's sits beside the model.
        folder = paths.backup or os.path.join(scratch, f"backup-worker-{task()[1]}")
        run = {CONTINUED_FROM: base.fingerprint()} if base else {}
        if budget is not None:
            run["budget"] = budget
        backup = Backup(folder, config, save_every, log, run=run or None)
        chosen_before = backup.saved_options() if budget is not None else None
        if chosen_before:  # resuming: the network the budget chose then, not a new probe
            from .budget import describe, restore, summary

            restore(config, chosen_before, budget)
        resolve_tokenizer(config, find_files(corpus).files, log)  # as the backup saved it
        backup.check()  # a foreign run's backup is refused before the corpus is read
        if chosen_before:
            log(f"budget {describe(budget)}: {summary(config, compute_dtype(config))}, as "
                f"chosen when this run began (its backup: {backup.folder})")
        scan = read_corpus(corpus, config, scratch, reading_progress, log)
        vocabulary, windows = make_windows(scan, config, scratch, log, base)
        forms = surface_forms(scan, vocabulary, config, base)
        if budget is not None and not chosen_before:
            from .budget import choose

            vocab_size = len(vocabulary)
            # Unless given, the compute type is the probe's to choose where the CPU has both.
            dtypes = (("float32", "mixed_bfloat16") if config.mixed_precision is None
                      and cpu_has_bf16() else (compute_dtype(config),))
            choose(config, budget, vocab_size, windows,
                   bool(config.sampled_softmax) and vocab_size > 2 * config.sampled_softmax,
                   dtypes, time.time() - started, log)
        fitted = fit(config, len(vocabulary), windows, paths, backup, distribute, verbose, log,
                     extra_callbacks, started, base)
        training_seconds = time.time() - started + backup.spent()[0]  # a resumed run's too
        # Only the chief's model is saved: other workers skip the n-gram model.
        base_counts = base.counts if base is not None and base_weight > 0 else None
        if base is not None and base.counts is None and base_weight > 0 and chief \
                and config.ngram_order >= 2:
            log(f"{base.path} does not hold its n-gram counts (written before nextword kept "
                "them): the n-gram model is counted on the new corpus alone")
        model, held_out, counts, unseen = export(
            fitted.core, config, vocabulary, windows, ngram=chief, log=log,
            base_counts=base_counts, base_weight=base_weight, ngram_lowest=ngram_lowest)
        if ngram_lowest and held_out["ngram_order"]:  # the saved config names the order kept
            config.ngram_order = held_out["ngram_order"]
        result = TrainingResult(
            output=output if chief else None, vocabulary_size=len(vocabulary),
            corpus_files=len(scan.files), corpus_tokens=scan.tokens,
            coverage=vocabulary.coverage(scan.counts), **held_out,
            epochs=len(fitted.history.get("loss", [])),
            training_seconds=round(training_seconds, 1), compute_dtype=fitted.dtype,
            interrupted=fitted.interrupted, history=fitted.history)
        if chief:
            record = None if base is None else \
                base.record(len(vocabulary) - len(base.vocabulary), base_weight)
            cases = phrase_cases(windows, vocabulary)
            calibrate = (lambda draft: calibrate_phrases(draft, unseen, cases, log)) \
                if cases else None
            save(model, config, result, paths, backup.folder, counts, record, forms,
                 calibrate, scratch, log)
    return result
