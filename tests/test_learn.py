"""`nextword learn` and online learning: the user layer (userlayer.py) in the model file."""

import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run
from test_predictor import save_model

PHRASES = "the zorblax said the quuxberry .\nand the zorblax said , quuxberry .\n" * 5


@pytest.fixture(scope="module", params=[3, 0], ids=["with-ngram", "network-alone"])
def model(request, tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("learn") / "m.keras", ngram_order=request.param)


def words(suggestions):
    return [word for word, _ in suggestions]


def test_learned_words_are_predicted_in_their_context(model):
    import nextword

    predictor = nextword.load(model)
    assert "zorblax" not in predictor.vocabulary.index
    learned = predictor.learn(PHRASES)
    assert learned == {"lines": 10, "tokens": 65, "new words": 2}
    assert predictor.predict("and the", k=1)[0][0] == "zorblax"
    assert predictor.predict("the zorblax said the", k=1)[0][0] == "quuxberry"
    assert words(predictor.complete("the zor", k=1)) == ["zorblax"]
    assert "quuxberry" in predictor.generate_tokens("the zorblax said the", words=1)
    # Every distribution still sums to one over the extended vocabulary.
    probabilities = predictor.distribution("the zorblax")
    assert len(probabilities) == len(predictor.vocabulary)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    # The batched scoring path (evaluation, keystrokes) agrees with the stepped one.
    ids = np.array([predictor.encode("the zorblax said the quuxberry")])
    logits, _ = predictor.score(ids, predictor.initial_state(1))
    np.testing.assert_allclose(np.exp(logits[0, -2]), predictor.distribution(
        "the zorblax said the"), atol=1e-5)


def test_the_user_text_gains_weight_as_it_grows(model):
    import nextword

    predictor = nextword.load(model)
    predictor.learn("and the zorblax said , quuxberry .")
    once = dict(predictor.predict("and the zorblax said ,", k=len(predictor.vocabulary)))
    predictor.learn("and the zorblax said , quuxberry .\n" * 20)
    often = dict(predictor.predict("and the zorblax said ,", k=len(predictor.vocabulary)))
    assert often["quuxberry"] > once["quuxberry"]
    assert often["quuxberry"] > 0.5


def test_learning_survives_saving_and_keras_still_loads_the_file(model, tmp_path):
    import nextword

    predictor = nextword.load(model)
    before = predictor.distribution("the")
    predictor.learn(PHRASES)
    learned = predictor.distribution("the zorblax said the")
    out = str(tmp_path / "learned.keras")
    predictor.save(out)
    again = nextword.load(out)
    np.testing.assert_allclose(again.distribution("the zorblax said the"), learned, atol=1e-6)
    assert again.describe()["learned new words"] == 2
    assert again.describe()["learned tokens"] == 65
    # Keras ignores the user layer's entry: the file's Keras model is the base model.
    import keras

    p = np.asarray(keras.saving.load_model(out)(np.array([["<eol>", "the"]], dtype=object)))
    np.testing.assert_allclose(p[0, -1], before, atol=1e-5)
    # learn --reset gives back the base model exactly.
    result = run("learn", "--reset", "-m", out)
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(nextword.load(out).distribution("the"), before)


def test_nothing_learned_leaves_predictions_unchanged(model, tmp_path):
    import nextword

    predictor = nextword.load(model)
    before = predictor.distribution("the cat")
    out = str(tmp_path / "same.keras")
    predictor.save(out)
    again = nextword.load(out)
    np.testing.assert_array_equal(again.distribution("the cat"), before)
    assert again.user is None and again.describe()["learned tokens"] == 0


def test_forgetting_a_learned_word_removes_it_everywhere_and_survives(model, tmp_path):
    import nextword

    predictor = nextword.load(model)
    predictor.learn(PHRASES)
    out = str(tmp_path / "forgot.keras")
    predictor.save(out)
    result = run("forget", "zorblax", "-m", out)
    assert result.exit_code == 0, result.output
    again = nextword.load(out)
    assert "zorblax" not in words(again.predict("and the", k=100))
    assert "zorblax" not in words(again.complete("the zor", k=5))
    for seed in range(5):
        assert "zorblax" not in again.generate_tokens("and the", words=5, strategy="sample",
                                                      seed=seed, temperature=2.0)
    assert again.describe()["learned new words"] == 2  # still learned, never suggested


def test_cli_learn_replaces_the_model_and_info_shows_it(model, tmp_path):
    import shutil

    path = str(tmp_path / "cli.keras")
    shutil.copy(model, path)
    text = tmp_path / "notes.txt"
    text.write_text(PHRASES, encoding="utf-8")
    result = run("learn", str(text), "-m", path)
    assert result.exit_code == 0, result.output
    assert "2 new words" in result.output
    info = run("info", "-m", path).output
    assert "learned new words\t2" in info and "learned tokens\t65" in info
    assert run("predict", "and the", "-k", "1", "-m", path).output.startswith("zorblax\t")
    # -o writes elsewhere and leaves MODEL as it is.
    other = str(tmp_path / "other.keras")
    assert run("learn", str(text), "-m", model, "-o", other).exit_code == 0
    assert "learned tokens\t0" in run("info", "-m", model).output
    assert "learned tokens\t65" in run("info", "-m", other).output


def test_bad_input_to_learn_is_a_one_line_error(model, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert_one_line_error(run("learn", str(empty), "-m", model), "empty")
    punctuation = tmp_path / "dots.txt"
    punctuation.write_text("   \n\n", encoding="utf-8")
    assert_one_line_error(run("learn", str(punctuation), "-m", model), "")
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert_one_line_error(run("learn", str(binary), "-m", model), "binary")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    assert_one_line_error(run("learn", str(latin), "-m", model), "UTF-8")
    assert_one_line_error(run("learn", str(tmp_path / "missing.txt"), "-m", model),
                          "does not exist")
    assert_one_line_error(run("learn", "-m", model), "give TEXT")
    text = tmp_path / "ok.txt"
    text.write_text(PHRASES, encoding="utf-8")
    assert_one_line_error(run("learn", str(text), "-m", model, "-o", str(tmp_path / "x.h5")),
                          ".keras")
    assert_one_line_error(run("forget", "flibbqxzgibbet", "-m", model), "not in the model")
    assert_one_line_error(run("complete", "--learn", "-m", model), "-i")


def test_a_damaged_user_layer_is_a_one_line_error(model, tmp_path):
    import nextword
    from nextword import storage

    predictor = nextword.load(model)
    predictor.learn(PHRASES)
    out = str(tmp_path / "damaged.keras")
    predictor.save(out)
    storage.rewrite_meta(out, predictor.meta, out, {storage.USER_ENTRY: b"garbage"})
    assert_one_line_error(run("predict", "the", "-m", out), "learn --reset")
    assert run("learn", "--reset", "-m", out).exit_code == 1  # read first: still refused
    # The base model in the file is untouched: dropping the entry brings it back.
    storage.rewrite_meta(out, predictor.meta, out, {storage.USER_ENTRY: None})
    assert run("predict", "the", "-m", out).exit_code == 0


def test_learning_does_not_import_tensorflow(model):
    code = (f"import sys, shutil, tempfile, os, nextword\n"
            f"path = os.path.join(tempfile.mkdtemp(), 'm.keras')\n"
            f"shutil.copy({model!r}, path)\n"
            f"p = nextword.load(path)\np.learn({PHRASES!r})\np.predict('and the')\np.save()\n"
            "assert not {'tensorflow', 'keras'} & set(sys.modules), 'imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_complete_interactive_learns_finished_lines(model, tmp_path):
    import shutil

    import nextword

    path = str(tmp_path / "online.keras")
    shutil.copy(model, path)
    typed = "the zor\nthe zorblax said\nthe zorblax said the quuxberry .\nand the zorblax\n"
    result = run("complete", "-i", "--learn", "-m", path, input=typed * 3)
    assert result.exit_code == 0, result.output
    learned = nextword.load(path)
    # Each finished line was learned once: the last query of a line is the line.
    assert learned.learned["lines"] == 6
    assert "zorblax" in learned.vocabulary.index


def test_online_learner_saves_within_its_interval_and_on_close(model, tmp_path):
    import shutil

    import nextword
    from nextword.engine.online import OnlineLearner

    path = str(tmp_path / "saver.keras")
    shutil.copy(model, path)
    predictor = nextword.load(path)
    with OnlineLearner(predictor, interval=3.0) as learner:
        assert learner.learn("the zorblax said the quuxberry .")["lines"] == 1
        assert learner.learn("  ") == {"lines": 0, "tokens": 0, "new words": 0}
        deadline = time.time() + 10
        while learner.saves == 0 and time.time() < deadline:
            time.sleep(0.02)
        assert learner.saves == 1  # the first line is saved at once
        assert nextword.load(path).learned["lines"] == 1
        for _ in range(3):  # within the interval: learned now, saved at most once more
            learner.submit("and the zorblax said , quuxberry .")
        time.sleep(0.1)
        assert learner.saves == 1 and nextword.load(path).learned["lines"] == 1
    assert predictor.learned["lines"] == 4
    assert nextword.load(path).learned["lines"] == 4  # saved on close
    assert learner.saves == 2


@pytest.mark.slow
def test_kill_during_saving_leaves_a_loadable_model(tmp_path):
    """kill -9 at random moments of repeated learn-and-save: the file always loads."""
    import nextword

    path = save_model(tmp_path / "killed.keras", ngram_order=3)
    code = ("import nextword, sys\np = nextword.load(sys.argv[1])\nprint('ready', flush=True)\n"
            "while True:\n    p.learn('the zorblax said the quuxberry .\\n' * 200)\n"
            "    p.save()\n")
    for attempt in range(6):
        process = subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE)
        process.stdout.readline()
        time.sleep(0.3 + 0.37 * attempt)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        loaded = nextword.load(path)  # old or new, never broken
        assert loaded.predict("the", k=1)
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
    assert nextword.load(path).learned["lines"] > 0
    # A save killed midway leaves its temporary file; the next save removes it.
    nextword.load(path).save()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".nextword-")]


def test_user_layers_of_older_files_with_packed_keys_load_equal():
    """A user layer saved before December 2026 holds its table with packed context keys."""
    import io

    from test_ngram import packed

    from nextword.engine.userlayer import UserLayer

    layer = UserLayer.new(12, 5)
    layer.add_words(["wombat", "quokka"])
    layer.count([[3, 12, 4, 13], [3, 12, 5], [6, 7, 12, 4, 13, 8]])
    layer.record(np.full(4, 0.1), np.full(4, 0.3), np.array([0, 1, 7, 13]))
    table = layer.table
    with np.load(io.BytesIO(layer.to_bytes()), allow_pickle=False) as arrays:
        values = {name: arrays[name] for name in arrays.files}
    del values["chained"]
    for i, array in enumerate(packed(table)):
        values[f"table_{i}"] = array
    buffer = io.BytesIO()
    np.savez(buffer, **values)
    old = UserLayer.from_bytes(buffer.getvalue(), 12)
    for mine, theirs in zip(old.table.arrays(), table.arrays()):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(old.weights, layer.weights)
