from collections import Counter

import numpy as np
import pytest

from nextword.errors import NextwordError
from nextword.text.scan import encode_scan, scan_corpus
from nextword.text.vocab import EOL_ID, UNK_ID, Vocabulary
from nextword.training.windows import Windows


def test_vocabulary_order_cut_and_encoding():
    counts = Counter({"the": 5, "and": 5, "god": 3, "rare": 1, "<eol>": 4})
    vocabulary = Vocabulary.build(counts, max_vocab=5, min_count=2)
    assert vocabulary.tokens == ["<pad>", "<unk>", "<eol>", "and", "the"]
    assert vocabulary.encode(["the", "god", "<eol>"]) == [4, UNK_ID, EOL_ID]
    assert vocabulary.coverage(counts) == pytest.approx(14 / 18)


def test_scan_counts_lines_tokens_and_ids(tmp_path):
    (tmp_path / "a.txt").write_text("the cat , the hat\nthe end\n")
    scan = scan_corpus([str(tmp_path / "a.txt")], ids_path=str(tmp_path / "raw.ids"))
    assert (scan.lines, scan.tokens) == (2, 9)
    assert scan.counts["the"] == 3 and scan.counts["<eol>"] == 2
    vocabulary = Vocabulary.build(scan.counts, max_vocab=100, min_count=2)
    ids = encode_scan(scan, vocabulary, str(tmp_path / "ids"))
    assert vocabulary.decode(ids) == ["the", "<unk>", "<unk>", "the", "<unk>", "<eol>", "the",
                                      "<unk>", "<eol>"]


@pytest.mark.parametrize("text", ["", "   \n\n", "... , ; !\n"])
def test_corpus_without_words_is_an_error(tmp_path, text):
    (tmp_path / "a.txt").write_text(text)
    with pytest.raises(NextwordError, match="no words found"):
        scan_corpus([str(tmp_path / "a.txt")])


def test_parallel_scan_equals_serial_scan(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("the cat , the hat\nthe end of it\n" * 2000)
    serial = scan_corpus([str(path)], ids_path=str(tmp_path / "one.ids"), workers=1)
    parallel = scan_corpus([str(path)], ids_path=str(tmp_path / "two.ids"), workers=2)
    assert serial.counts == parallel.counts and serial.lines == parallel.lines == 4000
    vocabulary = Vocabulary.build(serial.counts, max_vocab=100, min_count=1)
    np.testing.assert_array_equal(encode_scan(serial, vocabulary, str(tmp_path / "a")),
                                  encode_scan(parallel, vocabulary, str(tmp_path / "b")))


def test_windows_labels_are_inputs_shifted_by_one():
    ids = np.arange(100, dtype=np.int32)
    windows = Windows(ids, sequence_length=9, validation_split=0.2, seed=0)
    assert len(windows.train) + len(windows.validation) == 11
    assert set(windows.train).isdisjoint(windows.validation)
    for inputs, labels in windows.batches(windows.train, 4, np.random.default_rng(0)):
        np.testing.assert_array_equal(inputs[:, 1:], labels[:, :-1])
        np.testing.assert_array_equal(labels - inputs, np.ones_like(labels))
        assert inputs.shape[1] == 9 and inputs[:, 0].min() % 9 == 0


def test_tf_dataset_yields_sparse_int_labels():
    ids = np.arange(200, dtype=np.int32)
    windows = Windows(ids, sequence_length=10, validation_split=0.1, seed=0)
    dataset = windows.dataset("train", batch_size=4)
    inputs, labels = next(iter(dataset))
    assert inputs.dtype.name == "int32" and labels.shape == inputs.shape == (4, 10)
    assert sum(1 for _ in dataset) == len(dataset) == 5


def test_too_few_tokens_for_a_window():
    with pytest.raises(NextwordError, match="too few for a training and a validation window"):
        Windows(np.arange(10, dtype=np.int32), sequence_length=8, validation_split=0.1, seed=0)
