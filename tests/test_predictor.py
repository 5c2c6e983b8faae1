"""The TensorFlow-free predictor against Keras, stepped state, completion and the Python API."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from nextword import Config
from nextword.text.vocab import SPECIALS, Vocabulary

WORDS = ["the", "lord", "said", "and", "god", ",", ".", "lords", "lordship", "land"]


def save_model(path, ngram_order=0, words=WORDS, exponents=False, **options):
    """A small random-weight model written as nextword writes models; returns its path.
    exponents: the mixture corrected by log-linear exponents (loglinear.py), random ones;
    an int: that many factors (5: a format-1 file with one lower order)."""
    from nextword.network._tf import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from nextword import storage
    from nextword.network.model import build_model, build_predictor_model

    config = Config(units=6, embedding_dim=5, dropout=0.1, seed=0, **options)
    vocabulary = Vocabulary(list(SPECIALS) + list(words))
    keras.utils.set_random_seed(0)
    core = build_model(config, len(vocabulary))
    for weight in core.weights:  # larger than initial weights, so the cells' gates matter
        weight.assign(np.random.default_rng(len(weight.name)).normal(
            0, 0.5, weight.shape).astype("float32"))
    table = mixture = None
    if ngram_order:
        from nextword.ngram import loglinear
        from nextword.ngram.kneser_ney import NGramTable

        ids = np.random.default_rng(0).integers(2, len(vocabulary), 400)
        table = NGramTable.build(ids, len(vocabulary), ngram_order)
        mixture = np.linspace(0.2, 0.8, table.bucket_count()).astype(np.float32)
        if exponents:
            mixture = np.column_stack([mixture, np.random.default_rng(1).uniform(
                -0.5, 1.0, (len(mixture), loglinear.FACTORS if exponents is True
                            else exponents))]).astype(np.float32)
    model = build_predictor_model(core, vocabulary, table, mixture)
    storage.save(model, {"config": config.to_dict()}, str(path))
    return str(path)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("small") / "small.keras")


@pytest.fixture(scope="module")
def small(small_model):
    import nextword

    return nextword.load(small_model)


TOKENS = ["<eol>", "and", "god", "said", ",", "the", "lord", "."]


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
@pytest.mark.parametrize("layers, tie, ngram_order, exponents",
                         [(1, True, 0, False), (2, False, 0, False), (1, False, 3, False),
                          (2, True, 4, True), (1, True, 4, 5)])
def test_numpy_loaded_predictor_equals_keras_load_model(tmp_path, cell, layers, tie,
                                                        ngram_order, exponents):
    """The file read without TensorFlow = the file loaded by Keras, at every position."""
    import keras

    import nextword

    path = save_model(tmp_path / "m.keras", ngram_order, exponents=exponents, cell=cell,
                      layers=layers, tie_weights=tie)
    predictor = nextword.load(path)
    assert (predictor.ngram is not None) == bool(ngram_order)
    full = keras.saving.load_model(path)(np.array([TOKENS], dtype=object)).numpy()[0]
    ids = np.array(predictor.vocabulary.encode(TOKENS), dtype=np.int32)
    state = predictor.initial_state(1)
    for position, token in enumerate(ids):  # stepped, as generation runs
        logits, state = predictor.step(np.array([token]), state)
        stepped = np.exp(logits[0] - logits[0].max())
        np.testing.assert_allclose(stepped / stepped.sum(), full[position], atol=1e-5)
    prefix_logits, _ = predictor.advance(ids[None, :])  # a whole prefix, as predict runs
    np.testing.assert_allclose(prefix_logits[0], logits[0], atol=1e-5)
    scored, _ = predictor.score(ids[None, :], predictor.initial_state(1))  # as evaluate runs
    scored = np.exp(scored[0] - scored[0].max(axis=-1, keepdims=True))
    np.testing.assert_allclose(scored / scored.sum(axis=-1, keepdims=True), full, atol=1e-5)
    assert predictor.parameters == keras.saving.load_model(path).get_layer(
        "language_model").count_params()


@pytest.mark.parametrize("exponents", [False, True])
def test_sparse_ngram_mixing_equals_dense(small_model, tmp_path, exponents):
    """One row mixes sparsely (predict, generate); many rows densely (beams, evaluate)."""
    import nextword

    predictor = nextword.load(save_model(tmp_path / "n.keras", 4, exponents=exponents))
    assert predictor.mixture.ndim == (2 if exponents else 1)
    ids = np.array([predictor.vocabulary.encode(TOKENS)] * 20, dtype=np.int32)
    many, _ = predictor.advance(ids)  # 20 rows: over SPARSE_ROWS, the dense path
    one, _ = predictor.advance(ids[:1])
    np.testing.assert_allclose(many[0], one[0], atol=1e-6)
    for length in range(4):  # histories shorter than the order, at the start of a text
        np.testing.assert_allclose(predictor.advance(ids[:20, :length + 1])[0][0],
                                   predictor.advance(ids[:1, :length + 1])[0][0], atol=1e-6)


def test_prediction_never_imports_tensorflow(small_model):
    code = (f"import sys, nextword\n"
            f"p = nextword.load({small_model!r})\n"
            f"p.predict('the lord'); p.complete('the lo'); p.complete('the lord ')\n"
            f"p.generate('the', words=5, seed=1); p.generate('the', words=3, strategy='beam')\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"('tensorflow', 'keras')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_keras_model_is_loaded_lazily(small, small_model):
    assert small._model is None
    assert small.model.get_layer("vocabulary").get_vocabulary()[:3] == list(SPECIALS)


def test_damaged_weights_are_named(small_model, tmp_path):
    """A file whose weights entry is garbage: a one-line error that says so."""
    import nextword
    from nextword.errors import NextwordError

    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(small_model) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, b"not hdf5" if name == "model.weights.h5" else data)
    with pytest.raises(NextwordError, match="is damaged or was not written by nextword"):
        nextword.load(str(broken))


def test_foreign_layers_are_refused(small_model, tmp_path):
    import nextword
    from nextword.errors import NextwordError

    odd = tmp_path / "odd.keras"
    with zipfile.ZipFile(small_model) as source, zipfile.ZipFile(odd, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "config.json":
                data = data.replace(b'"class_name": "Dropout"', b'"class_name": "Conv1D"')
            target.writestr(name, data)
    with pytest.raises(NextwordError, match="saved by something else .* Conv1D"):
        nextword.load(str(odd))


def test_predict_never_suggests_special_tokens_and_k_beyond_vocabulary(small):
    suggestions = small.predict("the lord", k=100)
    assert sorted(word for word, _ in suggestions) == sorted(WORDS)
    probabilities = [p for _, p in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    # Suggestions add the short-range cache of the words typed (recent.py) to the model's.
    full = small.recent.mix(small.distribution("the lord"), small.encode("the lord"))
    assert probabilities[0] == pytest.approx(max(full[3:]), rel=1e-6)


def test_empty_prefix_is_the_start_of_line_distribution(small):
    assert small.predict("", k=3) == small.predict("  ", k=3)


def test_unknown_words_in_the_context_are_read_as_the_unknown_word(small):
    unknown = small.predict("zebra quokka")
    assert len(unknown) == 5 and len(small.predict("zebra the")) == 5
    from nextword.text.vocab import EOL_ID, UNK_ID

    np.testing.assert_allclose(small.distribution("zebra quokka"),
                               small.distribution_of([EOL_ID, UNK_ID, UNK_ID]), rtol=1e-6)
    assert not small.knows_any("zebra quokka") and small.knows_any("zebra the")
    assert sorted(w for w, _ in small.complete("zebra quokka lo")) == ["lord", "lords",
                                                                      "lordship"]


def test_generate_is_reproducible_and_never_emits_padding_or_unknown(small):
    first = small.generate_tokens("the", words=40, strategy="sample", seed=5)
    assert first == small.generate_tokens("the", words=40, strategy="sample", seed=5)
    assert len(first) == 40 and not {"<pad>", "<unk>"} & set(first)
    beam = small.generate_tokens("the", words=5, strategy="beam", beams=3)
    assert 1 <= len(beam) <= 5


def test_ngram_mixture_generates_and_can_be_switched_off(tmp_path):
    import nextword

    path = save_model(tmp_path / "n.keras", 3)
    predictor = nextword.load(path)
    text = predictor.generate_tokens("the lord", words=12, strategy="beam", beams=3)
    assert 1 <= len(text) <= 12
    alone = nextword.load(path, ngram=False)
    assert alone.ngram is None and len(alone.initial_state(1)) == 1
    assert not np.allclose(alone.distribution("the lord"), predictor.distribution("the lord"))


# ----- completion ---------------------------------------------------------------------------
def test_complete_inside_a_word_ranks_the_words_that_begin_with_it(small):
    suggestions = small.complete("and the lo", k=5)
    assert sorted(w for w, _ in suggestions) == ["lord", "lords", "lordship"]
    assert sum(p for _, p in suggestions) == pytest.approx(1.0)
    full = small.distribution("and the")
    ids = [small.vocabulary.index[w] for w, _ in suggestions]
    assert [p for _, p in suggestions] == pytest.approx(list(full[ids] / full[ids].sum()),
                                                        rel=1e-6)
    assert [w for w, _ in small.complete("and the lo", k=2)] == [w for w, _ in suggestions[:2]]


def words_of(predicted, k=5):
    """What a keyboard shows of predict's list: the words (punctuation is typed)."""
    return [(w, p) for w, p in predicted if w[:1].isalnum()][:k]


def test_complete_after_a_space_or_punctuation_is_predicts_words(small):
    assert small.complete("and the lord ") == words_of(small.predict("and the lord", 20))
    assert small.completion("and the lord ")[1] == "next"
    assert small.completion("the lord,")[0] == words_of(small.predict("the lord ,", 20))
    assert small.completion("")[0] == words_of(small.predict("", 20))
    assert "," in [w for w, _ in small.predict("and the lord", 20)]  # the model's own list


def test_complete_finds_words_whatever_the_typed_case_and_never_offers_specials(small):
    assert [w.lower() for w, _ in small.complete("and the Lo")] == \
        [w for w, _ in small.complete("and the lo")]
    assert all(w.startswith("Lo") for w, _ in small.complete("and the Lo"))
    assert small.complete("the <eo") == [] and small.complete("the <e") == []
    assert not {"<pad>", "<unk>", "<eol>"} & {w for w, _ in small.complete("the <", k=100)}
    assert small.complete("the qu") == []  # nothing begins with it, nothing is near it


def test_complete_exact_word_is_a_candidate(small):
    assert "lord" in [w for w, _ in small.complete("the lord", k=10)]
    assert small.completion("the lord")[1] == "completion"


def test_complete_on_very_long_text(small):
    text = "and the lord said , " * 5000 + "the lo"  # 100,000 characters
    assert len(text) >= 100_000
    suggestions = small.complete(text)
    assert sorted(w for w, _ in suggestions) == ["lord", "lords", "lordship"]
    assert sum(p for _, p in suggestions) == pytest.approx(1.0)


def test_prefix_index_finds_exact_ranges():
    from nextword.engine.completion import PrefixIndex

    index = PrefixIndex(["<pad>", "<unk>", "<eol>", "b", "ab", "abc", "a", "abd", "ba"],
                        excluded=SPECIALS)
    assert sorted(index.candidates("ab").tolist()) == [4, 5, 7]
    assert sorted(index.candidates("a").tolist()) == [4, 5, 6, 7]
    assert index.candidates("c").tolist() == [] and len(index.candidates("")) == 6


def test_reading_splits_where_the_word_being_typed_starts(small):
    from nextword.engine.suggestions import read

    def parts(text):
        reading = read(small, text)
        return reading.folded, reading.typed, reading.finished

    assert parts("and the Lo") == (["and", "the"], "Lo", None)
    assert parts("and the ") == (["and", "the"], None, "the")
    assert parts("said,") == (["said", ","], None, None)
    assert parts("") == ([], None, None)
    assert parts("well-kn") == ([], "well-kn", None)
    assert read(small, "the Lord  ").written == ["the", "Lord"]
    assert read(small, "the Lord  ").trailing == 2


def test_older_files_with_packed_ngram_keys_predict_as_before(tmp_path):
    """Files written before December 2026 key the n-gram contexts by their packed ids (and
    their NGramMixture config has no `key_layout`): both readers still mix them exactly."""
    import keras
    from cli_helpers import edit_keras_config
    from test_ngram import packed

    import nextword
    from nextword import storage
    from nextword.network.layers import NGramMixture
    from nextword.ngram.kneser_ney import NGramTable

    new = save_model(tmp_path / "new.keras", 4)
    model = keras.saving.load_model(new)
    mixer = model.get_layer("ngram")
    table = NGramTable.from_arrays(mixer.vocab_size, [v.numpy() for v in
                                                      mixer.table_variables()])
    tokens = keras.Input(shape=(None,), dtype="string", name="tokens")
    ids = model.get_layer("vocabulary")(tokens)
    probabilities = model.get_layer("probabilities")(model.get_layer("language_model")(ids))
    old_mixer = NGramMixture(mixer.vocab_size, mixer.sizes, key_layout="packed", name="ngram")
    old_model = keras.Model(tokens, old_mixer([ids, probabilities]), name="nextword")
    for variable, values in zip(old_mixer.table_variables(), packed(table)):
        variable.assign(values)
    old_mixer.mixture.assign(mixer.mixture.numpy())
    written = tmp_path / "written.keras"
    storage.save(old_model, storage.read_meta(new), str(written))
    old = tmp_path / "old.keras"

    def as_before(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "NGramMixture":
                del layer["config"]["key_layout"]

    edit_keras_config(written, old, as_before)

    batch = np.array([TOKENS], dtype=object)
    expected = model(batch).numpy()
    np.testing.assert_allclose(keras.saving.load_model(str(old))(batch).numpy(), expected,
                               atol=1e-6)
    for prefix in ("and god said", "the lord", "said ,"):
        assert nextword.load(str(old)).predict(prefix, k=5) == \
            nextword.load(new).predict(prefix, k=5)
