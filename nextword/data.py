"""From text to training windows: one streaming pass over the corpus, then tf.data batches.

The corpus is tokenised once. Each new word gets a provisional id as it appears and the id stream
goes to a file on disk; word counts come from that stream, the vocabulary is cut, and the ids are
remapped in chunks. Training then reads windows from the memory-mapped id file, so memory stays
proportional to the vocabulary, not to the corpus.
"""

from __future__ import annotations

import os
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .errors import NextwordError
from .text import find_files, iter_tokens
from .vocab import EOL, Vocabulary

FLUSH_TOKENS = 1 << 20  # write provisional ids to disk a million at a time


@dataclass
class CorpusScan:
    """What one pass over a corpus saw."""
    files: list[str]
    skipped: list[str]
    lines: int = 0
    tokens: int = 0  # end-of-line tokens included
    counts: Counter = field(default_factory=Counter)
    ids_path: str | None = None  # provisional ids, one int32 per token, if asked for
    words: list[str] = field(default_factory=list)  # provisional id -> token


def total_bytes(files) -> int:
    return sum(os.path.getsize(path) for path in files)


def scan_corpus(specs, lowercase: bool = True, encoding: str = "utf-8", ids_path: str | None = None,
                on_bytes=None) -> CorpusScan:
    """Tokenise every file once, counting tokens and optionally writing provisional ids.

    Raises NextwordError when the corpus holds no words.
    """
    found = find_files(specs)
    scan = CorpusScan(files=found.files, skipped=found.skipped, ids_path=ids_path)
    index: dict[str, int] = {}
    setdefault = index.setdefault
    buffer = array("i")
    frequencies = np.zeros(0, dtype=np.int64)
    sink = open(ids_path, "wb") if ids_path else None

    def flush():
        nonlocal frequencies, buffer
        if not buffer:
            return
        ids = np.frombuffer(buffer, dtype=np.int32)
        chunk = np.bincount(ids, minlength=len(index))
        if len(frequencies) < len(chunk):
            frequencies = np.pad(frequencies, (0, len(chunk) - len(frequencies)))
        frequencies[:len(chunk)] += chunk
        if sink:
            sink.write(buffer.tobytes())
        buffer = array("i")

    try:
        for tokens in iter_tokens(found.files, lowercase, encoding, EOL, on_bytes):
            buffer.extend([setdefault(token, len(index)) for token in tokens])
            if tokens and tokens[-1] == EOL:
                scan.lines += 1
            if len(buffer) >= FLUSH_TOKENS:
                flush()
        flush()
    finally:
        if sink:
            sink.close()
    scan.words = list(index)
    scan.tokens = int(frequencies.sum())
    scan.counts = Counter(dict(zip(scan.words, frequencies.tolist())))
    if not any(any(c.isalnum() for c in word) for word in scan.words if word != EOL):
        raise NextwordError(f"no words found in {', '.join(specs)}: it is empty or holds only "
                            "whitespace and punctuation; give nextword text with words in it")
    return scan


def encode_scan(scan: CorpusScan, vocabulary: Vocabulary, out_path: str) -> np.memmap:
    """Map the provisional ids of a scan onto vocabulary ids, in chunks, into out_path."""
    remap = np.array(vocabulary.encode(scan.words), dtype=np.int32)
    source = np.memmap(scan.ids_path, dtype=np.int32, mode="r")
    with open(out_path, "wb") as sink:
        for start in range(0, len(source), FLUSH_TOKENS):
            sink.write(remap[source[start:start + FLUSH_TOKENS]].tobytes())
    del source
    return np.memmap(out_path, dtype=np.int32, mode="r")


class Windows:
    """Non-overlapping windows of sequence_length + 1 ids over one token stream.

    Window i covers ids[i*L : i*L + L + 1]; its inputs are the first L ids and its labels the
    last L (inputs shifted by one), so every position predicts its next token (many-to-many).
    A seeded random share of windows is held out for validation.
    """

    def __init__(self, ids: np.ndarray, sequence_length: int, validation_split: float, seed: int):
        self.ids = ids
        self.sequence_length = sequence_length
        count = (len(ids) - 1) // sequence_length
        validation = int(round(count * validation_split))
        if count - validation < 1 or validation < 1:
            raise NextwordError(
                f"the corpus has {len(ids)} tokens, too few for a training and a validation "
                f"window of {sequence_length} tokens; lower --sequence-length or add text")
        order = np.random.default_rng(seed).permutation(count)
        self.validation = np.sort(order[:validation])
        self.train = np.sort(order[validation:])
        self.seed = seed

    def batches(self, starts: np.ndarray, batch_size: int, rng: np.random.Generator | None):
        """Yield (inputs, labels) int32 arrays of shape (batch, L); shuffled when rng is given."""
        if rng is not None:
            starts = rng.permutation(starts)
        offsets = np.arange(self.sequence_length + 1)
        for begin in range(0, len(starts), batch_size):
            rows = starts[begin:begin + batch_size] * self.sequence_length
            block = np.asarray(self.ids[rows[:, None] + offsets], dtype=np.int32)
            yield block[:, :-1], block[:, 1:]

    def dataset(self, split: str, batch_size: int, first_epoch: int = 0):
        """A tf.data.Dataset of (inputs, labels) batches; training batches reshuffle each epoch.

        The shuffle of epoch e depends only on (seed, e), so a run resumed at first_epoch sees
        the same batches as an uninterrupted one.
        """
        import tensorflow as tf

        starts = self.train if split == "train" else self.validation
        training = split == "train"
        epoch = [first_epoch]

        def generate():
            rng = np.random.default_rng((self.seed, epoch[0])) if training else None
            epoch[0] += 1
            yield from self.batches(starts, batch_size, rng)

        spec = tf.TensorSpec(shape=(None, self.sequence_length), dtype=tf.int32)
        dataset = tf.data.Dataset.from_generator(generate, output_signature=(spec, spec))
        batches = -(-len(starts) // batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
        options = tf.data.Options()
        options.autotune.enabled = False  # avoids a 1-10 s stall at the end of each fit epoch
        return dataset.prefetch(4).with_options(options)
