"""Training a tiny model end to end, and loading the file in fresh processes."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest


def test_training_writes_one_keras_file_with_metadata(trained):
    path, result = trained
    assert os.path.isfile(path) and result.epochs >= 3
    assert 1 < result.validation_perplexity < 200
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("nextword.json"))
    assert meta["config"]["units"] == 32 and meta["format_version"] == 2
    assert meta["training"] == json.loads(json.dumps(result.to_dict()))
    # The keys `nextword info` and older readers take from the file.
    assert {"epochs", "training_seconds", "validation_perplexity", "validation_accuracy",
            "ngram_order", "ngram_entries", "corpus_tokens", "history"} <= set(meta["training"])
    assert len(meta["training"]["history"]["val_loss"]) == result.epochs
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".nextword-")]


def test_trained_model_learned_the_corpus(predictor):
    words = [word for word, _ in predictor.predict("and god", k=3)]
    assert "said" in words or "called" in words


def test_tied_weights_share_one_variable(predictor):
    core = predictor.model.get_layer("language_model")
    embedding = core.get_layer("embedding")
    assert "logits" not in [layer.name for layer in core.layers]
    assert len(embedding.weights) == 2  # the matrix and the output bias, nothing else
    assert len(core.trainable_weights) == len({id(w) for w in core.trainable_weights})


def run_fresh(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_fresh_process_predicts_identically(trained, predictor):
    path, _ = trained
    here = predictor.predict("and the earth", k=5)
    there = run_fresh(f"import json, nextword; p = nextword.load({path!r}); "
                      f"print(json.dumps(p.predict('and the earth', k=5)))")
    assert [w for w, _ in here] == [w for w, _ in there]
    np.testing.assert_allclose([p for _, p in here], [p for _, p in there], rtol=1e-5)


@pytest.mark.slow
def test_keras_load_model_in_fresh_process_safe_mode(trained, predictor):
    path, _ = trained
    code = (f"import json, nextword, keras, numpy as np\n"
            f"model = keras.saving.load_model({path!r})\n"
            f"vocabulary = model.get_layer('vocabulary').get_vocabulary()\n"
            f"probabilities = model(np.array([['<eol>', 'and', 'the', 'earth']], dtype=object))\n"
            f"print(json.dumps([vocabulary[:3], np.asarray(probabilities)[0, -1].tolist()]))")
    specials, probabilities = run_fresh(code)
    assert specials == ["<pad>", "<unk>", "<eol>"]
    expected = predictor.distribution("and the earth")
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)


def test_history_csv_and_training_curve_picture_beside_the_model(trained):
    path, result = trained
    stem = path[:-len(".keras")]
    with open(stem + ".history.csv") as handle:
        rows = handle.read().splitlines()
    assert rows[0].split(",")[:1] == ["epoch"] and "val_loss" in rows[0]
    assert len(rows) == 1 + result.epochs
    with open(stem + ".png", "rb") as handle:
        picture = handle.read()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 10_000


@pytest.mark.slow
def test_python_api_trains_twice_in_one_process(corpus_file, tmp_path):
    # Importing a submodule named `train` used to replace the package's `train` function.
    from conftest import TINY

    import nextword

    options = dict(TINY, epochs=1)
    for name in ("first", "second"):
        result = nextword.train(corpus_file, str(tmp_path / f"{name}.keras"), **options)
        assert result.epochs == 1
    assert callable(nextword.train)
    assert nextword.load(str(tmp_path / "second.keras")).predict("and god")
    config = nextword.Config(**dict(options, tokenizer="auto"))  # one config, reused
    nextword.train(corpus_file, str(tmp_path / "third.keras"), config=config, seed=5)
    assert nextword.load(str(tmp_path / "third.keras")).config.tokenizer == "words"
    assert nextword.load(str(tmp_path / "third.keras")).config.seed == 5
    assert (config.tokenizer, config.seed) == ("auto", options["seed"])  # as given


def test_training_result_reads_the_training_entry_of_older_files():
    from nextword.training.pipeline import TrainingResult

    older = {"output": "models/nextword.keras", "vocabulary_size": 10000, "corpus_files": 1,
             "corpus_tokens": 790000, "coverage": 0.99, "network_validation_perplexity": 29.8,
             "network_validation_accuracy": 0.34, "validation_tokens": 64000,
             "ngram_order": 0, "ngram_entries": 0, "validation_perplexity": 29.8,
             "validation_accuracy": 0.34, "epochs": 7, "training_seconds": 546.0,
             "compute_dtype": "float32", "interrupted": False, "history": {"loss": [4.0]},
             "written_by_a_later_version": True}
    result = TrainingResult.from_dict(older)
    assert result.epochs == 7 and result.ngram_validation_perplexity is None
    assert result.to_dict() == {k: v for k, v in older.items() if k != "written_by_a_later_version"}


def test_model_ngram_counts_the_held_out_text_too(trained, corpus_file, tmp_path):
    """The mixture weights are fitted with an n-gram model that has not seen the held-out
    windows; the one kept in the file is then counted from every position of the corpus."""
    import nextword
    from nextword import storage
    from nextword.ngram.counts import NGramCounts
    from nextword.text.scan import encode_scan, scan_corpus
    from nextword.training.mixing import kept_positions
    from nextword.training.windows import Windows

    path, result = trained
    model = nextword.load(path)
    config, vocabulary = model.config, model.vocabulary
    scan = scan_corpus([corpus_file], ids_path=str(tmp_path / "raw.ids"))
    ids = encode_scan(scan, vocabulary, str(tmp_path / "vocab.ids"))
    stored = NGramCounts.from_bytes(storage.read_entry(path, storage.COUNTS_ENTRY))
    every = NGramCounts.count(ids, config.ngram_order)
    windows = Windows(ids, config.sequence_length, config.validation_split, config.seed)
    training_only = NGramCounts.count(ids, config.ngram_order,
                                      keep=kept_positions(windows))
    assert stored.tokens == every.tokens > training_only.tokens
    assert np.array_equal(stored.grams, every.grams)
    assert np.array_equal(stored.counts, every.counts)
    assert result.ngram_entries == every.table(len(vocabulary)).entries


@pytest.mark.parametrize("tie", [True, False])
def test_a_fresh_network_starts_at_the_training_texts_unigram(tie):
    """set_output_prior: the output biases are the log word frequencies of the training text
    (the held-out targets left out), so the untrained network predicts about the unigram
    rather than the uniform distribution (two stacked layers under the full softmax otherwise
    sit at a plateau for a thousand steps before they learn it)."""
    from nextword.network._tf import quiet_tensorflow

    quiet_tensorflow()
    from nextword.config import Config
    from nextword.network.model import build_model, set_output_prior
    from nextword.training.mixing import kept_positions
    from nextword.training.windows import Windows

    vocab = 40
    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, vocab - 2)
    ids = rng.choice(np.arange(3, vocab), 5000, p=weights / weights.sum()).astype(np.int32)
    windows = Windows(ids, 8, 0.2, seed=1, block=4)
    counts = windows.training_counts(vocab)
    np.testing.assert_array_equal(counts, np.bincount(ids[kept_positions(windows)],
                                                      minlength=vocab))
    core = build_model(Config(units=16, embedding_dim=16, layers=2, tie_weights=tie), vocab)
    unigram = (counts + 1) / (counts + 1).sum()

    def distance():  # total variation of the mean prediction from the unigram
        predicted = np.asarray(core(ids[None, :64])).reshape(-1, vocab)
        predicted = np.exp(predicted - predicted.max(axis=1, keepdims=True))
        predicted = (predicted / predicted.sum(axis=1, keepdims=True)).mean(axis=0)
        return 0.5 * np.abs(predicted - unigram).sum()

    assert distance() > 0.3  # zero biases: about uniform
    set_output_prior(core, counts)
    assert distance() < 0.05
