"""Shared fixtures: a tiny corpus and a tiny model trained once per test session."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CORPUS = """in the beginning god created the heaven and the earth .
and the earth was without form , and void ; and darkness was upon the face of the deep .
and the spirit of god moved upon the face of the waters .
and god said , let there be light : and there was light .
and god saw the light , that it was good : and god divided the light from the darkness .
and god called the light day , and the darkness he called night .
and the evening and the morning were the first day .
and god said , let there be a firmament in the midst of the waters .
and god made the firmament , and divided the waters .
and god called the firmament heaven .
"""

TINY = dict(units=32, embedding_dim=16, sequence_length=8, batch_size=4, epochs=6,
            learning_rate=0.01, max_minutes=0,
            min_count=1, validation_split=0.2, dropout=0.0, mixed_precision=False, seed=3)


def interrupt_after(epochs):
    """A Keras callback that presses Ctrl-C at the end of an epoch (after its backup)."""
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == epochs:
                raise KeyboardInterrupt

    return Interrupt()


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "genesis.txt"
    path.write_text(CORPUS * 4, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, corpus_file):
    """(model path, training result) of a tiny tied LSTM trained for two epochs."""
    from nextword import Config
    from nextword.training.pipeline import train

    output = str(tmp_path_factory.mktemp("models") / "tiny.keras")
    result = train([corpus_file], Config(**TINY), output, verbose=0, log=lambda line: None)
    return output, result


@pytest.fixture(scope="session")
def predictor(trained):
    import nextword

    return nextword.load(trained[0])


DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


@pytest.fixture(scope="session")
def cased(tmp_path_factory):
    """A tiny model trained on raw KJV verses that name Moses and the LORD, as written."""
    folder = tmp_path_factory.mktemp("cased")
    with open(os.path.join(DATA, "kjv.train.raw.txt"), encoding="utf-8") as source:
        lines = [line for line in source if "Moses" in line or "LORD" in line][:1500]
    corpus = folder / "verses.txt"
    corpus.write_text("".join(lines), encoding="utf-8")
    path = str(folder / "cased.keras")
    import nextword

    nextword.train(str(corpus), path, units=32, embedding_dim=16, sequence_length=8,
                   batch_size=16, epochs=3, max_minutes=0, ngram_order=3, dropout=0.0,
                   mixed_precision=False, seed=1)
    return path
