"""Reliability: every bad input gets one line on stderr ("Error: <problem>; <remedy>"), exit
code 1, no traceback, and leaves the files on disk as they were. Odd but valid inputs work.

Cases already covered in test_cli.py (missing corpus, empty file, explicit binary file, latin-1
text, --validation-split 1.5, --units 0, --max-vocab 3, a missing output folder, a missing,
text, foreign or truncated model, unknown prefix words) are not repeated here.
"""

import contextlib
import json
import os
import unicodedata
import zipfile

import pytest
from cli_helpers import assert_one_line_error, run
from hypothesis import HealthCheck, given, settings, strategies as st

from nextword.errors import NextwordError
from nextword.text.tokenize import tokenize


def says_what_to_do(result) -> bool:
    """nextword's messages read "<problem>; <remedy>"; an option's range is its own remedy."""
    line = result.stderr.strip()
    return "; " in line or " must be " in line


def assert_clear_error(result, message):
    assert_one_line_error(result, message)
    assert result.stdout == "", result.stdout
    assert says_what_to_do(result), f"the message names no remedy: {result.stderr!r}"


def snapshot(*folders):
    """Every file under the folders, with its bytes and modification time."""
    files = {}
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                with open(path, "rb") as handle:
                    files[path] = (os.stat(path).st_mtime_ns, handle.read())
    return files


@contextlib.contextmanager
def unchanged(*folders):
    """Asserts that nothing under the folders was written, changed or removed."""
    before = snapshot(*folders)
    yield
    after = snapshot(*folders)
    assert after == before, f"files changed: {sorted(set(after) ^ set(before))}"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Run every command from an empty folder, so a stray relative write would be seen."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if `nextword train` gets as far as reading the corpus."""
    import nextword.training.pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("training started; the bad option should have been refused first")

    monkeypatch.setattr(nextword.training.pipeline, "read_corpus", refuse)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return str(path)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


# ----- corpora ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [" \n\t\n   \r\n\n", ", . ; ! ?\n...\n-- ( ) ' \"\n"],
                         ids=["only-whitespace", "only-punctuation"])
def test_corpus_without_words(tmp_path, text):
    corpus = write(tmp_path / "in" / "corpus.txt", text)
    out = tmp_path / "out"
    out.mkdir()
    with unchanged(tmp_path):
        for command in (["preprocess"], ["train", "-q", "-o", str(out / "m.keras")]):
            assert_clear_error(run(*command, corpus),
                               "no words found in " + corpus + ": it is empty or holds only "
                               "whitespace and punctuation; give nextword text with words in it")


def test_utf16_corpus_with_bom_is_read(tmp_path):
    corpus = write(tmp_path / "utf16.txt", "In the beginning God créated\r\nthe heaven\r\n"
                   .encode("utf-16"))
    result = run("preprocess", corpus, "--keep-case")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["files\t1", "lines\t2", "tokens\t9"]
    assert {"In\t1", "God\t1", "créated\t1", "heaven\t1"} <= set(lines)
    assert result.stderr == ""


def test_folder_of_binary_files(tmp_path):
    folder = tmp_path / "images"
    write(folder / "a.png", PNG)
    write(folder / "sub" / "b.bin", b"\x00\x01\x02")
    out = tmp_path / "out"
    out.mkdir()
    with unchanged(tmp_path):
        for command in (["preprocess"], ["train", "-q", "-o", str(out / "m.keras")]):
            result = run(*command, str(folder))
            assert_one_line_error(result, f"no text files found in {folder} "
                                          "(2 binary file(s) skipped); give nextword plain text files")


def test_folder_mixing_text_and_binary_files(tmp_path):
    folder = tmp_path / "notes"
    text = write(folder / "notes.txt", "hello world\nhello again\n")
    image = write(folder / "photo.png", PNG)
    result = run("preprocess", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"skipped {image}: not a text file\n"
    lines = result.stdout.splitlines()
    assert lines[:3] == ["files\t1", "lines\t2", "tokens\t6"]
    assert "hello\t2" in lines  # the words of notes.txt were counted
    assert text not in result.stderr  # read, not skipped


def test_file_without_newlines(tmp_path):
    corpus = write(tmp_path / "one-line.txt", "and god said let there be light")
    result = run("preprocess", corpus)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == ["files\t1", "lines\t1", "tokens\t8"]


def test_corpus_shorter_than_one_training_window(tmp_path):
    corpus = write(tmp_path / "in" / "short.txt", "and god said let there be light")
    out = tmp_path / "out"
    out.mkdir()
    with unchanged(tmp_path):
        result = run("train", corpus, "-q", "-o", str(out / "m.keras"))
    assert_clear_error(result, "the corpus has 8 tokens, too few for a training and a "
                               "validation window of 32 tokens; lower --sequence-length or "
                               "add text")
    assert os.listdir(out) == []


# ----- training options ---------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    (["--sequence-length", "-1"], "--sequence-length must be at least 1, got -1"),
    (["--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["--layers", "0"], "--layers must be at least 1, got 0"),
    (["--dropout", "1.0"], "--dropout must be in [0, 1), got 1.0"),
    (["--ngram-order", "9"], "--ngram-order must be between 0 (none) and 8, got 9"),
    (["--ngram-max-entries", "-1"], "--ngram-max-entries must be 0 or more, got -1"),
    (["--validation-split", "0"], "--validation-split must be between 0 and 1 (exclusive), "
                                  "got 0.0"),
    (["--validation-split", "1"], "--validation-split must be between 0 and 1 (exclusive), "
                                  "got 1.0"),
])
def test_train_bad_option_fails_before_training(corpus_file, tmp_path, no_training, args,
                                                message):
    out = tmp_path / "out"
    out.mkdir()
    with unchanged(tmp_path):
        assert_clear_error(run("train", corpus_file, "-o", str(out / "m.keras"), *args), message)


def test_train_output_is_an_existing_folder(corpus_file, tmp_path, no_training):
    folder = tmp_path / "model.keras"
    folder.mkdir()
    with unchanged(tmp_path):
        result = run("train", corpus_file, "-o", str(folder))
    assert os.path.isdir(folder) and os.listdir(folder) == []
    assert_clear_error(result, f"model path {folder} is a folder; give a file name ending in "
                               ".keras")


def test_train_output_in_read_only_folder(corpus_file, tmp_path, no_training, monkeypatch):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the permission check see what a user would
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kwargs: False
                            if str(path) == str(folder) and mode & os.W_OK
                            else real_access(path, mode, **kwargs))
    try:
        with unchanged(tmp_path):
            result = run("train", corpus_file, "-o", str(folder / "m.keras"))
        assert_clear_error(result, f"folder {folder} is not writable; choose another --output")
    finally:
        folder.chmod(0o755)



@pytest.mark.parametrize("case", ["proc", "backup-under-a-file", "backup-is-a-file",
                                  "tensorboard-under-a-file", "history-is-a-folder"])
def test_train_checks_every_path_it_writes_before_reading(corpus_file, tmp_path, no_training,
                                                         case):
    out = tmp_path / "out"
    write(out / "a-file", "not a folder")
    model = str(out / "m.keras")
    args, message = {
        "proc": (["-o", "/proc/nw.keras"], "; choose another --output"),
        "backup-under-a-file": (["-o", model, "--backup-dir", str(out / "a-file" / "backup")],
                                f"cannot create folder {out / 'a-file' / 'backup'}: "
                                f"{out / 'a-file'} is a file, not a folder; choose another "
                                "--backup-dir"),
        "backup-is-a-file": (["-o", str(out / "a-file.keras")],
                             f"{out / 'a-file-backup'} is a file, not a folder; choose another "
                             "--backup-dir"),
        "tensorboard-under-a-file": (["-o", model, "--tensorboard", str(out / "a-file" / "tb")],
                                     f"{out / 'a-file'} is a file, not a folder; choose "
                                     "another --tensorboard folder"),
        "history-is-a-folder": (["-o", model], f"{out / 'm.history.csv'} is a folder; move it "
                                               "away or choose another --output"),
    }[case]
    if case == "proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    if case == "backup-is-a-file":
        write(out / "a-file-backup", "")
    if case == "history-is-a-folder":
        (out / "m.history.csv").mkdir()
    with unchanged(tmp_path):
        result = run("train", corpus_file, "-q", *args)
    assert_clear_error(result, message)


def test_tensorboard_without_its_package_fails_before_reading(corpus_file, tmp_path,
                                                              no_training, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None
                        if name == "tensorboard" else real_find_spec(name, *args))
    with unchanged(tmp_path):
        result = run("train", corpus_file, "-q", "-o", str(tmp_path / "m.keras"),
                     "--tensorboard", str(tmp_path / "logs"))
    assert_clear_error(result, "--tensorboard needs the tensorboard package; install it")


def test_os_error_while_training_is_one_line(corpus_file, tmp_path, monkeypatch):
    import errno

    import nextword.training.pipeline

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.history.csv"))

    monkeypatch.setattr(nextword.training.pipeline, "read_corpus", full_disk)
    result = run("train", corpus_file, "-q", "-o", str(tmp_path / "out.keras"))
    assert_clear_error(result, f"{tmp_path / 'out.history.csv'}: No space left on device; check "
                               "the path, its permissions and the free disk space")


# ----- model files --------------------------------------------------------------------------
def test_folder_as_model(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    with unchanged(tmp_path):
        result = run("predict", "and god", "-m", str(folder))
    assert_one_line_error(result, f"model path {folder} is a folder, not a .keras file")


def test_model_from_a_newer_nextword(trained, tmp_path):
    newer = tmp_path / "newer.keras"
    with zipfile.ZipFile(trained[0]) as source, zipfile.ZipFile(newer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "nextword.json":
                data = json.dumps(dict(json.loads(data), format_version=999))
            target.writestr(name, data)
    with unchanged(tmp_path, os.path.dirname(trained[0])):
        for command in (["predict", "and god"], ["info"]):
            assert_clear_error(run(*command, "-m", str(newer)),
                               f"{newer} was written by a newer nextword (model format 999, "
                               "this one reads 2); upgrade nextword")


def test_model_with_lambda_layer_is_refused(tmp_path):
    import keras

    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("nextword.json", json.dumps({"format_version": 1, "config": {}}))
    with unchanged(tmp_path):
        for command in (["predict", "and god"], ["info"]):
            result = run(*command, "-m", str(path))
            assert_clear_error(result, f"{path} contains code (a Lambda layer or similar), which "
                                       "nextword refuses to run; use a model trained by nextword")


# ----- prefixes -----------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", [
    "",
    ", .",
    " ".join("and the earth was without form and void ; god".split() * 1000),  # 10,000 words
    "\x00\x07 and",
], ids=["empty", "only-punctuation", "10000-words", "control-characters"])
def test_odd_prefixes_work(trained, prefix):
    with unchanged(os.path.dirname(trained[0])):
        result = run("predict", prefix, "-m", trained[0])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert all(0 <= float(line.split("\t")[1]) <= 1 for line in lines)


def test_top_k_beyond_vocabulary_lists_every_word(trained):
    size = trained[1].vocabulary_size
    with unchanged(os.path.dirname(trained[0])):
        result = run("predict", "and god", "-m", trained[0], "-k", "100000")
    assert result.exit_code == 0, result.output
    words = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert len(words) == size - 3
    assert len(set(words)) == len(words) and not {"<pad>", "<unk>", "<eol>"} & set(words)


# ----- properties ---------------------------------------------------------------------------
# Every code point, lone surrogates included: command-line arguments that are not valid UTF-8
# reach nextword as surrogate escapes.
ANY_TEXT = st.text(st.characters(exclude_categories=()))


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT, st.booleans())
def test_tokenize_never_raises(text, lowercase):
    tokens = tokenize(text, lowercase)
    assert all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_tokenize_loses_only_whitespace(text):
    # Holds because TOKEN_PATTERN ends in [^\w\p{M}\s] (every non-space character is matched
    # by some alternative). Text is NFC-normalised first, so compare with the normalised text.
    normalised = unicodedata.normalize("NFC", text)
    assert "".join(tokenize(text, lowercase=False)) == "".join(normalised.split())


@pytest.mark.parametrize("word", ["नमस्ते", unicodedata.normalize("NFD", "café")])
def test_word_with_combining_marks_is_one_token(word):
    assert len(tokenize(word)) == 1, tokenize(word)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT, known_words=st.booleans())
def test_predict_on_any_text_returns_words_or_a_nextword_error(predictor, text, known_words):
    if known_words:  # so that the text reaches the network instead of "none of the words"
        text += " and god"
    try:
        words = predictor.predict(text)
    except NextwordError:
        return
    assert isinstance(words, list) and len(words) == 5
    assert all(isinstance(w, str) and 0 <= p <= 1 for w, p in words)


# ----- messages that name no remedy -----------------------------------------------------------
@pytest.mark.parametrize("case", ["folder-of-binary-files", "folder-as-model"])
def test_message_says_what_to_do(tmp_path, case):
    folder = tmp_path / "folder"
    write(folder / "a.png", PNG)
    if case == "folder-of-binary-files":
        result = run("preprocess", str(folder))
    else:
        result = run("predict", "and god", "-m", str(folder))
    assert result.exit_code == 1
    assert says_what_to_do(result), result.stderr


# ----- causes named, not hidden -------------------------------------------------------------
def test_os_error_in_any_command_is_one_line(corpus_file, tmp_path):
    """preprocess writing its vocabulary where it cannot: one line naming the path."""
    result = run("preprocess", corpus_file, "--vocab-out", "/proc/vocab.txt")
    assert_one_line_error(result, "/proc/vocab.txt: ")


def test_keras_load_failure_names_its_cause(trained, monkeypatch):
    """A Keras version mismatch is not called a damaged file (it was, before)."""
    import keras

    from nextword.network import loading

    def mismatch(*args, **kwargs):
        raise TypeError("Could not deserialize class 'GRU': unexpected keyword 'foo'")

    monkeypatch.setattr(keras.saving, "load_model", mismatch)
    with pytest.raises(NextwordError) as caught:
        loading.load(trained[0])
    message = str(caught.value)
    assert f"could not be loaded by Keras {keras.__version__}" in message
    assert "TypeError: Could not deserialize class 'GRU'" in message
    assert "damaged" not in message

    def disk_error(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(keras.saving, "load_model", disk_error)
    with pytest.raises(NextwordError, match="could not read .*: Input/output error"):
        loading.load(trained[0])
