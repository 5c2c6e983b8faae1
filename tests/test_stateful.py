"""Stateful training (--stateful): streams of windows that carry the recurrent state."""

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run
from conftest import TINY


@pytest.mark.parametrize("cell,layers", [("gru", 1), ("lstm", 2), ("simplernn", 1)])
def test_carried_state_gives_the_losses_of_one_long_window(cell, layers):
    """Windows fed one after another to the stateful network = one window of them all."""
    import keras

    from nextword import Config
    from nextword.network.model import build_model, reset_states

    config = Config(cell=cell, layers=layers, units=8, embedding_dim=6, dropout=0.0,
                    tie_weights=layers == 1)
    stateful = build_model(config, 30, stateful_batch=3)
    plain = build_model(config, 30)
    plain.set_weights(stateful.get_weights())
    ids = np.random.default_rng(0).integers(1, 30, (3, 4 * 5 + 1)).astype("int32")
    inputs, labels = ids[:, :-1], ids[:, 1:]
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    whole = np.asarray(loss(labels, plain(inputs)))
    reset_states(stateful)
    parts = [np.asarray(loss(labels[:, i:i + 5], stateful(inputs[:, i:i + 5])))
             for i in range(0, 20, 5)]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, rtol=1e-5, atol=1e-6)
    reset_states(stateful)  # back to a zero state: the first window again
    np.testing.assert_allclose(np.asarray(loss(labels[:, :5], stateful(inputs[:, :5]))),
                               whole[:, :5], rtol=1e-5, atol=1e-6)


def test_streams_continue_window_after_window():
    from nextword.training.windows import Windows

    ids = np.arange(1, 402)  # 400 targets: 50 windows of 8
    windows = Windows(ids, 8, 0.2, seed=1, block=4)
    held = windows.validation
    assert len(held) == 8 and all(held[i + 1] == held[i] + 1 for i in (0, 1, 2, 4, 5, 6))
    batches = list(windows.stream_batches(windows.train, 3))
    assert len(batches) == len(windows.train) // 3
    for (first, _), (second, _) in zip(batches, batches[1:]):
        for row in range(3):  # each row's next window follows it in the text (or a gap)
            assert second[row, 0] > first[row, -1]
    inputs, labels = batches[0]
    np.testing.assert_array_equal(labels[:, :-1], inputs[:, 1:])


@pytest.mark.parametrize("sampled", [0, 8], ids=["full-softmax", "sampled-softmax"])
def test_stateful_training_saves_a_model_like_any_other(corpus_file, tmp_path, sampled):
    import nextword
    from nextword import Config
    from nextword.training.pipeline import train

    output = str(tmp_path / "stateful.keras")
    options = dict(TINY, batch_size=2, stateful=True, sampled_softmax=sampled)
    result = train([corpus_file], Config(**options), output, verbose=0, log=lambda line: None)
    assert result.epochs >= 1 and np.isfinite(result.validation_perplexity)
    predictor = nextword.load(output)
    assert predictor.config.stateful
    assert predictor.predict("and god", k=1)
    # The file's Keras model is the plain one: any batch size.
    probabilities = np.asarray(predictor.model(np.array([["<eol>", "and", "god"]] * 3,
                                                        dtype=object)))
    assert probabilities.shape[0] == 3


def test_stateful_needs_enough_windows_and_one_machine(corpus_file, tmp_path):
    output = str(tmp_path / "x.keras")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--stateful",
                              "--batch-size", "64", "--max-minutes", "0"),
                          "stateful training needs at least --batch-size 64")
    assert_one_line_error(run("train", corpus_file, "-o", output, "--stateful",
                              "--distribute", "multi-worker"),
                          "--windows with --distribute multi-worker")


@pytest.mark.slow
def test_interrupted_stateful_run_resumes_and_matches(corpus_file, tmp_path):
    """The state restarts at each epoch, so a run resumed from its epoch backup is exact."""
    from conftest import interrupt_after

    import nextword
    from nextword import Config
    from nextword.training.pipeline import train

    config = dict(TINY, batch_size=2, stateful=True, patience=10, epochs=4)
    straight = str(tmp_path / "straight.keras")
    train([corpus_file], Config(**config), straight, verbose=0, log=lambda line: None,
          plot=False)
    output = str(tmp_path / "out.keras")
    stopped = train([corpus_file], Config(**config), output, verbose=0, log=lambda line: None,
                    extra_callbacks=[interrupt_after(2)], plot=False)
    assert stopped.interrupted
    lines = []
    resumed = train([corpus_file], Config(**config), output, verbose=0, log=lines.append,
                    plot=False)
    assert any(line.startswith("resuming from") for line in lines)
    assert resumed.epochs == 4 and not resumed.interrupted
    one, two = nextword.load(straight), nextword.load(output)
    for prefix in ["and god", "the earth was"]:
        np.testing.assert_allclose(one.distribution(prefix), two.distribution(prefix),
                                   atol=1e-4)


def test_mixture_fitting_reads_each_held_out_run_as_one_text():
    """A stateful model's held-out windows are scored with the state carried along their run:
    each target once, after the whole run so far (not after 64 tokens of context only)."""
    from nextword.training.mixing import CONTEXT, held_out_batches, held_out_runs
    from nextword.training.windows import Windows

    vocab = 50
    ids = (np.arange(3000) * 7 % vocab).astype(np.int32)  # the id tells its position's class
    windows = Windows(ids, 8, 0.2, seed=1, block=4)
    runs = held_out_runs(windows, windows.validation)
    assert all(1 <= n <= 4 for _, n in runs) and sum(n for _, n in runs) == len(
        windows.validation)
    lengths = []

    def forward(x):  # one-hot of each input id: row t says which id came before target t
        lengths.append(x.shape[1])

        class Out:
            def numpy(self):
                return np.eye(vocab, dtype=np.float32)[x]
        return Out()

    targets, previous = [], []
    for network, _, target in held_out_batches(forward, windows, windows.validation, []):
        targets.append(target)
        previous.append(network.argmax(axis=1))
    targets, previous = np.concatenate(targets), np.concatenate(previous)
    held = (windows.validation[:, None] * 8 + np.arange(1, 9)).ravel()
    assert sorted(targets.tolist()) == sorted(ids[held].tolist())
    assert np.array_equal(previous, (targets - 7) % vocab)  # each after the token before it
    assert max(lengths) == CONTEXT + 4 * 8  # a run of 4 windows read in one pass


def test_held_out_windows_read_again_come_from_memory():
    """fit_ngram reads the exponents' windows a second time: HeldOutNetwork hands back what
    the first read computed (kept as float16 logs: within their rounding, a floored zero
    aside), the same rows in the new batches' order, without the network."""
    from nextword.training.mixing import HeldOutNetwork, fit_windows, held_out_batches
    from nextword.training.windows import Windows

    vocab = 50
    ids = (np.arange(3000) * 7 % vocab).astype(np.int32)
    windows = Windows(ids, 8, 0.2, seed=1, block=4)
    calls = []

    def forward(x):  # a different distribution for each input id, context included
        calls.append(len(x))

        class Out:
            def numpy(self):
                return np.eye(vocab, dtype=np.float32)[(x + x[:, :1]) % vocab]
        return Out()

    keep = fit_windows(windows, vocab, 8)
    assert 0 < len(keep) < len(windows.validation)
    remembered = HeldOutNetwork(forward, keep, 8, vocab)
    first = [(n, t) for n, _, t in held_out_batches(remembered, windows, windows.validation, [])]
    reads = len(calls)
    again = [(n, t) for n, _, t in held_out_batches(remembered, windows, keep, [])]
    plain = [(n, t) for n, _, t in held_out_batches(forward, windows, keep, [])]
    assert len(calls) == reads + len(plain)  # the second read called nothing
    for (n, t), (m, u) in zip(again, plain):
        assert np.array_equal(t, u) and np.allclose(n, m, rtol=0.04, atol=1e-12)
    assert len(np.concatenate([t for _, t in first])) == 8 * len(windows.validation)
