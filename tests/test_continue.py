"""Continuing training (`nextword train NEW --from BASE`): the base's weights, vocabulary and
n-gram counts carried over, NEW's words added, one-line errors, resuming."""

import json
import os
import zipfile
from collections import Counter

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run
from conftest import TINY, interrupt_after

import nextword
from nextword import Config, storage
from nextword.ngram.counts import NGramCounts
from nextword.text.vocab import SPECIALS, Vocabulary
from nextword.training.continuing import Base, config_for, grow_vocabulary

NEW = """the quokka jumped over the wombat .
and god saw the quokka , that it was good .
the wombat called the quokka by night .
"""
BASE_WEIGHT = 2.0  # not the default, so that the weighting shows in the counts


@pytest.fixture(scope="module")
def new_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("new") / "new.txt"
    path.write_text(NEW * 8, encoding="utf-8")
    return str(path)


def continued_config(base, **changes):
    """The config `nextword train --from base` makes when these options are given."""
    return config_for(Base.read(base), changes, set(changes))


def continue_training(base, new_file, output, base_weight=BASE_WEIGHT, **changes):
    from nextword.training.pipeline import train

    lines = []
    config = continued_config(base, patience=10, **changes)
    result = train([new_file], config, str(output), verbose=0, log=lines.append, base=base,
                   base_weight=base_weight, plot=False)
    return result, lines


@pytest.fixture(scope="module")
def continued(trained, new_file, tmp_path_factory):
    """(base path, output path, result, log lines) of one continued run on NEW."""
    output = tmp_path_factory.mktemp("continued") / "out.keras"
    result, lines = continue_training(trained[0], new_file, output)
    return trained[0], str(output), result, lines


# ----- the vocabulary --------------------------------------------------------------------
def test_grow_vocabulary_adds_new_words_after_the_base_most_frequent_first():
    base = Vocabulary(list(SPECIALS) + ["the", "god"])
    counts = Counter({"the": 9, "wombat": 2, "quokka": 5, "god": 1, "rare": 1, "<eol>": 4})
    grown, added = grow_vocabulary(base, counts, max_vocab=100, min_count=2)
    assert added == ["quokka", "wombat"]  # "rare" is under --min-count
    assert grown.tokens == base.tokens + added  # base ids unchanged


def test_grow_vocabulary_stops_at_max_vocab_and_never_drops_base_words():
    base = Vocabulary(list(SPECIALS) + ["the", "god"])
    counts = Counter({"quokka": 5, "wombat": 3, "emu": 2})
    assert grow_vocabulary(base, counts, 6, 1)[1] == ["quokka"]
    grown, added = grow_vocabulary(base, counts, 4, 1)  # fewer than the base has
    assert added == [] and grown.tokens == base.tokens


def test_grow_spelled_vocabulary_keeps_new_characters_first():
    base = Vocabulary(list(SPECIALS) + ["我", "们", "我们"], spell=True)
    counts = Counter({"你们": 3, "好": 1, "我们": 2})
    grown, added = grow_vocabulary(base, counts, 8, 2)
    assert added == ["你", "好"]  # no room left for the word "你们": it is spelled
    assert grown.spell and grown.encode(["你们"]) == [6, 4]
    grown, added = grow_vocabulary(base, counts, 100, 2)
    assert added == ["你", "你们", "好"]


# ----- options ---------------------------------------------------------------------------
def test_options_come_from_the_base_unless_given(trained):
    base = Base.read(trained[0])
    config = config_for(base, {"epochs": 1, "learning_rate": 0.5, "units": 999,
                               "tokenizer": "auto"}, {"epochs", "learning_rate"})
    assert (config.epochs, config.learning_rate) == (1, 0.5)
    assert config.units == base.config.units == TINY["units"]  # not given: the base's
    assert config.tokenizer == base.config.tokenizer == "words"
    assert config.sequence_length == TINY["sequence_length"]


def test_contradicting_architecture_options_are_one_line_errors(trained, new_file, tmp_path):
    output = tmp_path / "out.keras"
    result = run("train", new_file, "--from", trained[0], "-o", str(output), "--units", "64",
                 "--no-tie-weights", "--cell", "gru")
    assert_one_line_error(result, f"--units 64, --no-tie-weights contradict the model "
                                  f"continued from ({os.path.abspath(trained[0])} has "
                                  f"--units 32, --tie-weights); leave them out with --from")
    result = run("train", new_file, "--from", trained[0], "-o", str(output), "--keep-case")
    assert_one_line_error(result, "--keep-case contradicts the model continued from")
    result = run("train", new_file, "--from", trained[0], "-o", str(output),
                 "--tokenizer", "chars")
    assert_one_line_error(result, "--tokenizer chars contradicts")
    assert os.listdir(tmp_path) == []  # nothing written


@pytest.mark.parametrize("args, message", [
    (["--from", "missing.keras"], "--from missing.keras: no such model file"),
    (["--from", "{new}"], "is not a nextword model file"),
    (["--from", "{base}", "--base-weight", "-1"], "--base-weight must be 0 or more, got -1.0"),
    (["--base-weight", "0.5"], "--base-weight is for continuing: give --from BASE.keras too"),
    (["--from", "{base}", "-o", "{base}"], "is the model continued from; write to another"),
])
def test_bad_continue_options_are_one_line_errors(trained, new_file, tmp_path, args, message):
    before = os.path.getmtime(trained[0])
    args = [a.format(new=new_file, base=trained[0]) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "out.keras")]
    assert_one_line_error(run("train", new_file, *args), message)
    assert os.path.getmtime(trained[0]) == before
    assert not (tmp_path / "out.keras").exists()


# ----- the continued model ---------------------------------------------------------------
def test_vocabulary_grows_with_new_words_and_base_ids_are_unchanged(continued):
    base, output, result, lines = continued
    old, new = nextword.load(base).vocabulary.tokens, nextword.load(output).vocabulary.tokens
    assert new[:len(old)] == old
    assert new[len(old):] == ["quokka", "wombat", "by", "jumped", "over"]  # by frequency
    assert result.vocabulary_size == len(new)
    assert f"vocabulary: {len(old)} words of {base}, 5 added from the corpus " \
           f"(--min-count 1, --max-vocab 10,000)" in lines


def test_new_word_is_predicted_in_its_context(continued):
    _, output, _, _ = continued
    mixed = nextword.load(output)
    assert mixed.predict("jumped over the", k=1)[0][0] == "wombat"
    assert mixed.predict("the wombat called the", k=1)[0][0] == "quokka"
    network = nextword.load(output, ngram=False)
    assert "wombat" in [w for w, _ in network.predict("jumped over the", k=3)]
    assert "quokka" in [w for w, _ in network.predict("the wombat called the", k=3)]


def test_ngram_counts_are_the_base_weighted_plus_new(continued, new_file):
    from nextword.text.scan import encode_scan, scan_corpus

    base, output, _, _ = continued
    base_counts = NGramCounts.from_bytes(storage.read_entry(base, storage.COUNTS_ENTRY))
    out_counts = NGramCounts.from_bytes(storage.read_entry(output, storage.COUNTS_ENTRY))
    config = nextword.load(output).config
    vocabulary = nextword.load(output).vocabulary
    scan = scan_corpus([new_file], ids_path=os.path.join(os.path.dirname(output), "raw.ids"))
    ids = encode_scan(scan, vocabulary, os.path.join(os.path.dirname(output), "vocab.ids"))
    # Every position: the model's counts include the held-out text once the mixture is fitted.
    new_counts = NGramCounts.count(ids, config.ngram_order)
    expected = {tuple(g): c for g, c in zip(new_counts.grams.tolist(), new_counts.counts)}
    for gram, count in zip(base_counts.grams.tolist(), base_counts.counts):
        expected[tuple(gram)] = expected.get(tuple(gram), 0) + BASE_WEIGHT * count
    assert {tuple(g): c for g, c in zip(out_counts.grams.tolist(), out_counts.counts)} \
        == expected
    assert len(new_counts) and out_counts.tokens == new_counts.tokens + 2 * base_counts.tokens


def test_metadata_and_info_say_what_it_continued_from(continued):
    base, output, _, _ = continued
    with zipfile.ZipFile(output) as archive:
        meta = json.loads(archive.read("nextword.json"))
    record = meta["continued_from"]
    base_meta = storage.read_meta(base)
    assert record["path"] == os.path.abspath(base)
    assert record["training"]["validation_perplexity"] == \
        base_meta["training"]["validation_perplexity"]
    assert "history" not in record["training"]
    assert (record["words_added"], record["base_weight"]) == (5, BASE_WEIGHT)
    assert meta["config"]["corpus"] != base_meta["config"]["corpus"]
    shown = run("info", "-m", output)
    assert shown.exit_code == 0
    line = [row for row in shown.stdout.splitlines() if row.startswith("continued from\t")]
    assert line == [f"continued from\t{os.path.abspath(base)} (1 file(s), "
                    f"{base_meta['training']['corpus_tokens']:,} tokens, "
                    f"{base_meta['training']['epochs']} epochs, validation perplexity "
                    f"{base_meta['training']['validation_perplexity']:.2f}, +5 words, "
                    f"n-gram counts x 2)"]
    assert "continued from" not in run("info", "-m", base).stdout


@pytest.fixture(scope="module")
def base_without_counts(trained, tmp_path_factory):
    """The tiny model as a nextword from before counts were kept would have written it."""
    path = str(tmp_path_factory.mktemp("old") / "old.keras")
    storage.rewrite_meta(trained[0], storage.read_meta(trained[0]), path,
                         {storage.COUNTS_ENTRY: None})
    assert storage.read_entry(path, storage.COUNTS_ENTRY) is None
    return path


@pytest.mark.slow
def test_base_weights_are_the_start_point_and_a_base_without_counts_works(
        base_without_counts, new_file, tmp_path):
    from nextword.engine import archive

    # One epoch at a learning rate too small to move anything: the network that comes out
    # is the one continued training starts from. From scratch it would be random weights.
    output = tmp_path / "out.keras"
    _, lines = continue_training(base_without_counts, new_file, output, epochs=1,
                                 learning_rate=1e-9)
    assert f"{base_without_counts} does not hold its n-gram counts (written before nextword " \
           "kept them): the n-gram model is counted on the new corpus alone" in lines
    before, after = archive.read(base_without_counts).network, archive.read(str(output)).network
    words = before.embedding.shape[0]
    assert after.embedding.shape[0] == words + 5
    np.testing.assert_allclose(after.embedding[:words], before.embedding, atol=1e-5)
    np.testing.assert_allclose(after.output_bias[:words], before.output_bias, atol=1e-5)
    np.testing.assert_allclose(after.projection[0], before.projection[0], atol=1e-5)
    for old, new in zip(before.cells, after.cells):
        np.testing.assert_allclose(new.kernel, old.kernel, atol=1e-5)
        np.testing.assert_allclose(new.recurrent, old.recurrent, atol=1e-5)
    mean = before.embedding[1:].mean(axis=0)  # the padding row left out
    np.testing.assert_allclose(after.embedding[words:], np.tile(mean, (5, 1)), atol=1e-5)
    counts = NGramCounts.from_bytes(storage.read_entry(str(output), storage.COUNTS_ENTRY))
    assert counts.max_id() == words + 4  # NEW's counts alone, new words included


def test_transfer_weights_for_an_untied_output_layer():
    import keras

    from nextword.network.model import build_model, transfer_weights

    config = Config(**dict(TINY, tie_weights=False, cell="lstm", layers=2))
    keras.utils.set_random_seed(1)
    base, grown = build_model(config, 10), build_model(config, 13)
    assert transfer_weights(grown, base) == 3
    kernel, bias = base.get_layer("logits").get_weights()
    new_kernel, new_bias = grown.get_layer("logits").get_weights()
    np.testing.assert_array_equal(new_kernel[:, :10], kernel)
    np.testing.assert_allclose(new_kernel[:, 10:], np.tile(kernel[:, 1:].mean(1, keepdims=True),
                                                           (1, 3)), rtol=1e-6)
    np.testing.assert_allclose(new_bias[10:], bias[1:].mean(), rtol=1e-6)
    for name in ("rnn_0", "rnn_1"):
        for old, new in zip(base.get_layer(name).get_weights(),
                            grown.get_layer(name).get_weights()):
            np.testing.assert_array_equal(new, old)


# ----- interrupted --------------------------------------------------------------------------
@pytest.mark.slow
def test_interrupted_continued_run_resumes_and_matches(continued, new_file, tmp_path):
    from nextword.errors import NextwordError
    from nextword.training.pipeline import train

    base, straight, _, _ = continued
    output = tmp_path / "out.keras"
    config = continued_config(base, patience=10)
    stopped = train([new_file], config, str(output), verbose=0, log=lambda line: None,
                    base=base, extra_callbacks=[interrupt_after(2)], plot=False)
    assert stopped.interrupted and (tmp_path / "out-backup").is_dir()
    with pytest.raises(NextwordError, match="holds an interrupted run with other options"):
        train([new_file], continued_config(base, patience=10), str(output), verbose=0,
              log=lambda line: None)  # the same options without --from: another run
    lines = []
    resumed = train([new_file], continued_config(base, patience=10), str(output), verbose=0,
                    log=lines.append, base=base, base_weight=BASE_WEIGHT, plot=False)
    assert f"resuming from {tmp_path / 'out-backup'} after epoch 2" in lines
    assert resumed.epochs == TINY["epochs"] and not resumed.interrupted
    one, two = nextword.load(straight), nextword.load(str(output))
    assert one.vocabulary.tokens == two.vocabulary.tokens
    for prefix in ["and god", "the quokka jumped"]:
        np.testing.assert_allclose(one.distribution(prefix), two.distribution(prefix),
                                   atol=1e-4)
