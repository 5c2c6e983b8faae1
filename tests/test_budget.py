"""`train --budget`: the network chosen for the time given and this machine's speed."""

import math

import pytest
from cli_helpers import assert_one_line_error, run
from conftest import TINY

from nextword import Config
from nextword.errors import NextwordError


def test_budget_durations():
    from nextword.training.budget import parse

    assert parse("30m") == 1800 and parse("1h30m") == 5400 and parse("90s") == 90
    assert parse("2h") == 7200 and parse("5") == 300 and parse("1.5h") == 5400
    for bad in ("soon", "10s", "", "30 minutes"):
        with pytest.raises(NextwordError):
            parse(bad)


class FakeWindows:
    train = list(range(3200))  # 100 steps an epoch at batch 32
    sequence_length = 32  # 102,400 training tokens


def test_the_largest_network_that_gets_enough_epochs_is_chosen():
    from nextword.training.budget import MIN_EPOCHS, RESERVE, choose

    speeds = {128: 40.0, 256: 20.0, 384: 10.0, 512: 5.0}  # steps per second

    probed = []

    def measure(config, vocab_size, windows, sampled, dtype):
        probed.append((config.layers, config.units))
        return speeds[config.units] / config.layers

    lines = []
    config = choose(Config(batch_size=32, lr_schedule="plateau"), 600, 10000, FakeWindows(), True,
                    ("float32",), elapsed=0.0, log=lines.append, measure=measure)
    # 540 s of training: 384 units fit 54 epochs... at 10 steps/s: 5400 steps = 54 epochs;
    # 512 units 27; 2x512 13.5: all >= MIN_EPOCHS, so the largest, found without probing
    # the sizes between.
    assert (config.layers, config.units, config.embedding_dim) == (2, 512, 512)
    assert probed == [(1, 128), (2, 512)]
    probed.clear()
    assert config.epochs == 13 and config.max_minutes == pytest.approx(10 * (1 - RESERVE))
    config = choose(Config(batch_size=32, lr_schedule="plateau"), 120, 10000, FakeWindows(), True,
                    ("float32",), elapsed=15.0, log=lines.append, measure=measure)
    # about 95 s: 256 units 19 epochs, 384 units 9.5, 512 units 4.7 < MIN_EPOCHS
    left = 120 * (1 - RESERVE) - 15.0
    assert (config.layers, config.units) == (1, 384) and config.epochs == 9
    # The largest does not fit: the others smallest first, up to the first that does not.
    assert probed == [(1, 128), (2, 512), (1, 256), (1, 384), (1, 512)]
    probed.clear()
    assert f"1x512 would fit {left * 5 / 100:.1f}" in lines[-1]
    assert f"the {MIN_EPOCHS} a network needs" in lines[-1]
    assert lines[-1].startswith("budget 2 min: gru 1x384, embedding 384, dropout 0.3, up to 9 "
                                "epochs")
    config = choose(Config(batch_size=32, lr_schedule="plateau"), 60, 10000, FakeWindows(), True,
                    ("float32",), elapsed=50.0, log=lines.append, measure=measure)
    expected = max(1, math.floor((60 * (1 - RESERVE) - 50.0) * 40 / 100))
    assert (config.layers, config.units, config.epochs) == (1, 128, expected)  # the smallest
    assert probed == [(1, 128)]  # it does not fit: no larger one could
    config = choose(Config(batch_size=32, lr_schedule="anneal"), 120, 10000, FakeWindows(),
                    True, ("float32",), elapsed=12.0, log=lines.append, measure=measure)
    # 9.8 fit; annealed, the time limit ends the run, so the cap leaves room for a faster
    # machine than the probe measured
    assert (config.layers, config.units) == (1, 384) and config.epochs == 20


def test_the_probe_chooses_the_faster_compute_type_unless_one_is_given():
    from nextword.training.budget import choose

    def measure(config, vocab_size, windows, sampled, dtype):  # bf16 pays off for large ones
        return (40.0 if dtype == "float32" or config.units < 512 else 60.0) / config.layers

    both = ("float32", "mixed_bfloat16")
    lines = []
    config = choose(Config(batch_size=32), 120, 10000, FakeWindows(), True, both,
                    elapsed=10.0, log=lines.append, measure=measure)
    assert (config.layers, config.units, config.mixed_precision) == (2, 512, True)
    assert ", bfloat16, up to " in lines[-1]
    assert "(30.0 steps/s measured here in bfloat16, 20.0 in float32, 100 steps" in lines[-1]
    config = choose(Config(batch_size=32), 120, 10000, FakeWindows(), True, both,
                    elapsed=10.0, log=lines.append,
                    measure=lambda *args: 40.0 if args[-1] == "float32" else 30.0)
    assert config.mixed_precision is False and ", bfloat16," not in lines[-1]
    assert "(40.0 steps/s measured here in float32, 30.0 in bfloat16, " in lines[-1]
    # Within BF16_MARGIN the probe's steps do not tell them apart, and whole epochs ran
    # faster in bfloat16: it is taken.
    config = choose(Config(batch_size=32), 120, 10000, FakeWindows(), True, both,
                    elapsed=10.0, log=lines.append,
                    measure=lambda *args: 40.0 if args[-1] == "float32" else 37.0)
    assert config.mixed_precision is True
    assert "(37.0 steps/s measured here in bfloat16, 40.0 in float32, " in lines[-1]
    for given in (False, True):  # the user's --float32 or --mixed-precision: one type probed
        asked = []
        config = choose(Config(batch_size=32, mixed_precision=given), 120, 10000, FakeWindows(),
                        True, ("float32",), elapsed=10.0, log=lines.append,
                        measure=lambda *args: asked.append(args[-1]) or 10.0)
        assert config.mixed_precision is given and set(asked) == {"float32"}
    assert Config().mixed_precision is None  # unset until a probe or a run without one says


def test_dropout_grows_with_the_network_against_the_corpus():
    from nextword.training.budget import dropout_for

    kjv = 25_297 * 32  # KJV's training tokens, vocabulary 8,261
    assert dropout_for(2, 512, 8261, kjv) == 0.3  # measured: overfits at 0.2, 0.3 beat 0.4
    assert dropout_for(1, 384, 8261, kjv) == 0.2  # measured: best 10-minute model at 0.2
    assert 0.2 < dropout_for(1, 512, 8261, kjv) < 0.3
    assert dropout_for(2, 512, 8261, 100 * kjv) == 0.2  # a large corpus: the default
    assert dropout_for(2, 512, 8261, kjv // 100) == 0.3  # never more than measured


def test_anneal_share_grows_with_the_network_against_the_corpus():
    from nextword.training.budget import anneal_share_for

    kjv = 25_297 * 32
    assert anneal_share_for(2, 512, 8261, kjv) == 0.6  # measured: 60% beat 30% at 30 minutes
    assert anneal_share_for(1, 256, 8261, kjv) == 0.3  # measured: 30% beat 60% and 100%
    assert anneal_share_for(1, 384, 8261, kjv) == 0.3
    assert 0.3 < anneal_share_for(1, 512, 8261, kjv) < 0.6
    assert anneal_share_for(2, 512, 8261, 100 * kjv) == 0.3


def test_the_budget_line_says_the_annealed_share(tmp_path):
    from nextword.training.budget import RESERVE, choose

    lines = []
    config = choose(Config(batch_size=32), 120, 10000, FakeWindows(), True, ("float32",),
                    elapsed=10.0, log=lines.append, measure=lambda *args: 10.0)
    assert config.anneal_share == 0.6  # 2x512 on 102,400 tokens: large for the corpus
    fit = (120 * (1 - RESERVE) - 10.0) * 10 / 100
    assert f"up to {math.ceil(2 * fit)} epochs, annealed over the last 60% (" in lines[-1]
    assert f"{fit:.1f} epochs fit" in lines[-1]


def test_budget_conflicts_are_one_line_errors(corpus_file, trained, tmp_path):
    output = str(tmp_path / "m.keras")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--budget", "30m",
                              "--units", "64"), "--budget chooses --units itself")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--budget", "30m",
                              "--dropout", "0.3"), "--budget chooses --dropout itself")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--budget", "30m",
                              "--anneal-share", "0.5"), "--budget chooses --anneal-share itself")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--budget", "soon"),
                          "is not a duration")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--budget", "30m",
                              "--from", trained[0]), "which --from takes from the base")


@pytest.mark.slow
def test_budget_trains_a_tiny_corpus_and_says_what_it_chose(corpus_file, tmp_path):
    import nextword
    from nextword.training.budget import RESERVE
    from nextword.training.pipeline import train

    lines = []
    # As `train --budget` without --ngram-order: the n-gram order is fitted from 5 to 8.
    config = Config(**dict(TINY, max_minutes=9.0, sampled_softmax=8, ngram_order=8))
    result = train([corpus_file], config, str(tmp_path / "b.keras"), verbose=0,
                   log=lines.append, plot=False, budget=120, ngram_lowest=5)
    said = [line for line in lines if line.startswith("budget 2 min: ")]
    assert len(said) == 1 and "steps/s measured here" in said[0]
    chose = [line for line in lines if line.startswith("n-gram orders 5-8 on held-out text")]
    assert len(chose) == 1 and "the lowest within 0.1% of the best" in chose[0]
    model = nextword.load(result.output)
    order = int(chose[0].split(": order ")[1].split(",")[0])
    assert model.config.ngram_order == result.ngram_order == order  # the saved config says
    assert model.config.units == model.config.embedding_dim >= 128
    assert model.config.dropout == 0.3  # any of the networks is large for a tiny corpus
    assert model.config.max_minutes == pytest.approx(2 * (1 - RESERVE))
    assert model.config.lr_schedule == "anneal"  # the default: annealed to the budget's end
    assert model.config.anneal_share == 0.6  # over a longer share for a large network
    # The caller's config is left as given (the saved copy holds the choices), so it can be
    # used for another run.
    assert config == Config(**dict(TINY, max_minutes=9.0, sampled_softmax=8, ngram_order=8))


def test_the_lowest_ngram_order_near_the_best_is_kept():
    import math

    from nextword.training.mixing import CLOSE, choose_order

    assert choose_order([math.log(p) for p in (23.71, 23.61, 23.57, 23.57)]) == 2
    assert choose_order([math.log(p) for p in (23.71, 23.61, 23.58, 23.57)]) == 2  # within
    assert choose_order([math.log(p) for p in (23.71, 23.61, 23.60, 23.57)]) == 3
    assert choose_order([math.log(p) for p in (23.5, 23.6, 23.7)]) == 0  # pruned orders worse
    assert CLOSE == 0.001


def test_budget_fits_the_ngram_order_unless_it_is_given(corpus_file, tmp_path, monkeypatch):
    """The command passes orders 5-8 to training only where --ngram-order is not given."""
    from nextword.training import pipeline as training

    asked = []

    def fake_train(corpus, config, output, **options):
        asked.append((config.ngram_order, options["ngram_lowest"]))
        raise NextwordError("stopped before training")

    monkeypatch.setattr(training, "train", fake_train)
    for extra in (["--budget", "30m"], ["--budget", "30m", "--ngram-order", "6"], []):
        assert_one_line_error(run("train", corpus_file, "-o", str(tmp_path / "m.keras"),
                                  *extra), "stopped before training")
    assert asked == [(8, 5), (6, 0), (5, 0)]


@pytest.mark.slow
def test_an_interrupted_budget_run_resumes_with_what_it_chose(corpus_file, tmp_path):
    """Rerun after Ctrl-C: the backup's network, dropout and share, not a new probe."""
    from conftest import interrupt_after

    import nextword
    from nextword.training.pipeline import train

    output = str(tmp_path / "b.keras")
    config = dict(TINY, max_minutes=9.0, patience=50, mixed_precision=None)  # probe's choice
    first = []
    stopped = train([corpus_file], Config(**config), output, verbose=0, log=first.append,
                    plot=False, budget=120, extra_callbacks=[interrupt_after(1)])
    assert stopped.interrupted
    chose = nextword.load(output).config
    lines = []
    resumed = train([corpus_file], Config(**config), output, verbose=0, log=lines.append,
                    plot=False, budget=120)
    assert not resumed.interrupted and resumed.epochs > 1
    assert any(line.startswith(f"resuming from {tmp_path / 'b-backup'} after epoch 1")
               for line in lines), lines
    said = [line for line in lines if line.startswith("budget 2 min: ")]
    assert len(said) == 1 and said[0].endswith(  # no second probe
        f"as chosen when this run began (its backup: {tmp_path / 'b-backup'})")
    model = nextword.load(output).config
    assert chose.mixed_precision in (False, True)  # chosen, and saved with the model
    for name in ("layers", "units", "embedding_dim", "dropout", "anneal_share", "epochs",
                 "max_minutes", "mixed_precision"):
        assert getattr(model, name) == getattr(chose, name), name
