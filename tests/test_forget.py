"""`nextword forget`: blocked words are never suggested, anywhere, and the file keeps them."""

import shutil
import zipfile

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run
from test_predictor import save_model


@pytest.fixture
def model(tmp_path):
    return save_model(tmp_path / "m.keras", ngram_order=3)


def test_forgotten_word_is_never_suggested(model, tmp_path):
    import nextword

    predictor = nextword.load(model)
    top = predictor.predict("and the", k=1)[0][0]
    assert predictor.forget([top.upper()]) == [top]  # folded like the model's text
    assert top not in [w for w, _ in predictor.predict("and the", k=100)]
    assert len(predictor.predict("and the", k=100)) == len(predictor.vocabulary) - 4
    for typed in (top[:1], top[:2], top):
        assert top not in [w for w, _ in predictor.complete("and the " + typed, k=100)]
    for seed in range(20):
        assert top not in predictor.generate_tokens("the", words=15, strategy="sample",
                                                    seed=seed, temperature=2.0)
    assert top not in predictor.generate_tokens("the", words=8, strategy="beam", beams=8)
    text = tmp_path / "typed.txt"
    text.write_text(f"and the {top} said .\n")
    from nextword.engine.keystrokes import simulate

    assert simulate(predictor, [str(text)], [100])[100].keystrokes >= len(top) + 1


def test_forgetting_survives_saving_and_keras_still_loads_the_file(model, tmp_path):
    import keras

    import nextword

    before = keras.saving.load_model(model)(np.array([["<eol>", "the"]], dtype=object))
    predictor = nextword.load(model)
    predictor.forget(["lord", "god"])
    copy = str(tmp_path / "copy.keras")
    predictor.save(copy)
    again = nextword.load(copy)
    assert again.blocked_words == ["god", "lord"] and again.describe()["blocked words"] == 2
    assert nextword.load(model).blocked_words == []  # saved elsewhere: the original is as it was
    after = keras.saving.load_model(copy)(np.array([["<eol>", "the"]], dtype=object))
    np.testing.assert_array_equal(np.asarray(before), np.asarray(after))  # weights unchanged
    assert again.unforget(["lord"]) == ["lord"] and again.blocked_words == ["god"]


def test_forget_command_list_and_undo(model):
    assert run("forget", "lord", "said", "-m", model).exit_code == 0
    assert run("forget", "--list", "-m", model).stdout.splitlines() == ["lord", "said"]
    assert run("forget", "--undo", "said", "-m", model).exit_code == 0
    assert run("forget", "--list", "-m", model).stdout.splitlines() == ["lord"]
    assert "lord" not in run("predict", "the", "-m", model, "-k", "100").stdout.split()
    info = run("info", "-m", model).stdout.splitlines()
    assert "blocked words\t1" in info


@pytest.mark.parametrize("args, message", [
    (["zqxbra"], "'zqxbra' is not in the model's vocabulary, so it is never suggested"),
    (["lord's"], "is 2 tokens for this model, not one word"),
    (["<eol>"], "is 3 tokens"),
    ([], "name the words to forget (or --undo), or pass --list"),
])
def test_forget_bad_words_are_one_line_and_change_nothing(model, args, message):
    before = open(model, "rb").read()
    assert_one_line_error(run("forget", *args, "-m", model), message)
    assert open(model, "rb").read() == before


def test_a_word_of_the_spelling_list_the_model_never_saw_can_be_forgotten(model):
    """Corrections may offer such a word ("zebra" for "zebar"), so it can be blocked."""
    assert run("forget", "zebra", "-m", model).exit_code == 0
    assert run("forget", "--list", "-m", model).stdout.splitlines() == ["zebra"]
    assert run("forget", "--undo", "zebra", "-m", model).exit_code == 0
    assert run("forget", "--list", "-m", model).stdout == ""


def test_failed_save_leaves_the_previous_file(model, tmp_path, monkeypatch):
    import nextword

    kept = tmp_path / "kept.keras"
    shutil.copy(model, kept)
    before = kept.read_bytes()
    predictor = nextword.load(str(kept))
    predictor.forget(["lord"])
    original = zipfile.ZipFile.writestr

    def full_disk(self, name, data, *args, **kwargs):
        if name == "nextword.json" or getattr(name, "filename", "") == "nextword.json":
            raise OSError(28, "No space left on device")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    from nextword.errors import NextwordError

    with pytest.raises(NextwordError, match="No space left on device; the previous file"):
        predictor.save()
    monkeypatch.undo()
    assert kept.read_bytes() == before and nextword.load(str(kept)).blocked_words == []
    assert not [n for n in tmp_path.iterdir() if n.name.startswith(".nextword-")]
