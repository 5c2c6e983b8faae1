"""From text to training windows: one streaming pass over the corpus, then tf.data batches.

The corpus is tokenised once. Each new word gets a provisional id as it appears and the id stream
goes to a file on disk; word counts come from that stream, the vocabulary is cut, and the ids are
remapped in chunks. Training then reads windows from the memory-mapped id file, so memory stays
proportional to the vocabulary, not to the corpus.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from ..errors import NextwordError
from .corpus import CorpusFiles, find_files, iter_blocks
from .tokenize import tokenize
from .vocab import EOL, Vocabulary

FLUSH_TOKENS = 1 << 20  # remap ids a million at a time


@dataclass
class CorpusScan:
    """What one pass over a corpus saw."""
    files: list[str]
    skipped: list[str]
    lines: int = 0
    tokens: int = 0  # end-of-line tokens included
    counts: Counter = field(default_factory=Counter)
    ids_path: str | None = None  # provisional ids, one int32 per token, if asked for
    characters: int = 0  # of the text read, newlines included
    words: list[str] = field(default_factory=list)  # provisional id -> token


PARALLEL_BYTES = 16 << 20  # corpora at least this big are tokenised by a pool of processes


def encode_block(block: str, lowercase: bool,
                 tokenizer: str = "words") -> tuple[list[str], np.ndarray]:
    """Tokenise one block of text: its distinct tokens, and each token as an index into them.

    Runs in worker processes; the main process maps the few distinct tokens to global ids,
    so its own work per block is small.
    """
    tokens = tokenize(block, lowercase, newlines=True, tokenizer=tokenizer)
    words = list(set(tokens))
    local = {word: i for i, word in enumerate(words)}
    return words, np.fromiter(map(local.__getitem__, tokens), dtype=np.int32, count=len(tokens))


def _encoded_blocks(blocks, lowercase, workers, tokenizer="words"):
    """(words, ids) of every block, in order; in `workers` processes if > 1."""
    if workers <= 1:
        for block in blocks:
            yield encode_block(block, lowercase, tokenizer)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process running TensorFlow
    with context.Pool(workers) as pool:
        waiting: deque = deque()
        for block in blocks:
            waiting.append(pool.apply_async(encode_block, (block, lowercase, tokenizer)))
            if len(waiting) >= 2 * workers:  # bounded: never more than a few blocks in flight
                yield waiting.popleft().get()
        while waiting:
            yield waiting.popleft().get()


def scan_corpus(specs, lowercase: bool = True, encoding: str = "utf-8", ids_path: str | None = None,
                on_bytes=None, workers: int | None = None,
                found: CorpusFiles | None = None, tokenizer: str = "words") -> CorpusScan:
    """Tokenise every file once, counting tokens and optionally writing provisional ids.

    Memory stays proportional to the number of distinct tokens: ids go to `ids_path` block by
    block. Corpora over PARALLEL_BYTES are tokenised by one process per core (`workers`).
    `found` is find_files(specs) when the caller has it already (for a progress bar).
    Raises NextwordError when the corpus holds no words.
    """
    found = found or find_files(specs)
    scan = CorpusScan(files=found.files, skipped=found.skipped, ids_path=ids_path)
    if workers is None:
        big = sum(os.path.getsize(path) for path in found.files) >= PARALLEL_BYTES
        workers = min(os.cpu_count() or 1, 8) if big else 1
    index: dict[str, int] = {"\n": 0}  # the end-of-line token, renamed EOL below
    setdefault = index.setdefault
    frequencies = np.zeros(1024, dtype=np.int64)
    sink = open(ids_path, "wb") if ids_path else None
    try:
        for words, local_ids in _encoded_blocks(_counted_blocks(scan, encoding, on_bytes),
                                                lowercase, workers, tokenizer):
            remap = np.fromiter((setdefault(word, len(index)) for word in words),
                                dtype=np.int32, count=len(words))
            ids = remap[local_ids]
            if len(index) > len(frequencies):
                frequencies = np.pad(frequencies, (0, max(len(index), 2 * len(frequencies))
                                                   - len(frequencies)))
            frequencies += np.bincount(ids, minlength=len(frequencies))
            if sink:
                sink.write(ids.tobytes())
    finally:
        if sink:
            sink.close()
    frequencies = frequencies[:len(index)]
    scan.words = [EOL] + list(index)[1:]
    scan.lines = int(frequencies[0])
    scan.tokens = int(frequencies.sum())
    scan.counts = Counter(dict(zip(scan.words, frequencies.tolist())))
    if not any(any(c.isalnum() for c in word) for word in scan.words if word != EOL):
        raise NextwordError(f"no words found in {', '.join(specs)}: it is empty or holds only "
                            "whitespace and punctuation; give nextword text with words in it")
    return scan


def _counted_blocks(scan: CorpusScan, encoding: str, on_bytes):
    """The blocks of the scan's files, their characters counted into scan.characters."""
    for path in scan.files:
        for block in iter_blocks(path, encoding, on_bytes):
            scan.characters += len(block)
            yield block


def encode_scan(scan: CorpusScan, vocabulary: Vocabulary, out_path: str) -> np.memmap:
    """Map the provisional ids of a scan onto vocabulary ids, in chunks, into out_path.

    A word the vocabulary spells (unspaced text) becomes several ids.
    """
    expansions = [vocabulary.encode([word]) for word in scan.words]
    lengths = np.array([len(ids) for ids in expansions], dtype=np.int64)
    flat = np.array([i for ids in expansions for i in ids], dtype=np.int32)
    firsts = np.cumsum(lengths) - lengths
    one_each = bool((lengths == 1).all())
    source = np.memmap(scan.ids_path, dtype=np.int32, mode="r")
    with open(out_path, "wb") as sink:
        for start in range(0, len(source), FLUSH_TOKENS):
            chunk = np.asarray(source[start:start + FLUSH_TOKENS])
            if one_each:
                sink.write(flat[chunk].tobytes())
                continue
            sizes = lengths[chunk]
            within = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            sink.write(flat[np.repeat(firsts[chunk], sizes) + within].tobytes())
    del source
    return np.memmap(out_path, dtype=np.int32, mode="r")


class Windows:
    """Non-overlapping windows of sequence_length + 1 ids over one token stream.

    Window i covers ids[i*L : i*L + L + 1]; its inputs are the first L ids and its labels the
    last L (inputs shifted by one), so every position predicts its next token (many-to-many).
    A seeded random share of windows is held out for validation, in runs of `block`
    consecutive windows (stateful training carries the state along them).
    """

    def __init__(self, ids: np.ndarray, sequence_length: int, validation_split: float, seed: int,
                 block: int = 1):
        self.ids = ids
        self.sequence_length = sequence_length
        count = (len(ids) - 1) // sequence_length
        validation = int(round(count * validation_split))
        block = max(1, min(block, validation))
        if count - validation < 1 or validation < 1:
            raise NextwordError(
                f"the corpus has {len(ids)} tokens, too few for a training and a validation "
                f"window of {sequence_length} tokens; lower --sequence-length or add text")
        blocks = count // block
        chosen = np.random.default_rng(seed).permutation(blocks)[:max(1, validation // block)]
        held_out = np.zeros(count, dtype=bool)
        held_out[(chosen[:, None] * block + np.arange(block)).ravel()] = True
        if block == 1:  # as before stateful training existed: the same split for a seed
            order = np.random.default_rng(seed).permutation(count)
            held_out[:] = False
            held_out[order[:validation]] = True
        self.validation = np.flatnonzero(held_out)
        self.train = np.flatnonzero(~held_out)
        self.seed = seed
        self.block = block

    def training_counts(self, vocab_size: int, chunk: int = 1 << 24) -> np.ndarray:
        """How often each id occurs in the text, less the held-out windows' targets (the
        training text's word frequencies; read in chunks, as ids may be a memory map)."""
        counts = np.zeros(vocab_size, dtype=np.int64)
        for begin in range(0, len(self.ids), chunk):
            counts += np.bincount(np.asarray(self.ids[begin:begin + chunk]),
                                  minlength=vocab_size)[:vocab_size]
        counts -= np.bincount(np.asarray(self.ids[self.held_out_targets()]),
                              minlength=vocab_size)[:vocab_size]
        return counts

    def held_out_targets(self) -> np.ndarray:
        """Positions in ids of the held-out windows' targets (text no model may count)."""
        length = self.sequence_length
        return (self.validation[:, None] * length + np.arange(1, length + 1)).ravel()

    def batches(self, starts: np.ndarray, batch_size: int, rng: np.random.Generator | None):
        """Yield (inputs, labels) int32 arrays of shape (batch, L); shuffled when rng is given."""
        if rng is not None:
            starts = rng.permutation(starts)
        offsets = np.arange(self.sequence_length + 1)
        for begin in range(0, len(starts), batch_size):
            rows = starts[begin:begin + batch_size] * self.sequence_length
            block = np.asarray(self.ids[rows[:, None] + offsets], dtype=np.int32)
            yield block[:, :-1], block[:, 1:]

    def stream_batches(self, starts: np.ndarray, batch_size: int):
        """Yield (inputs, labels) batches of exactly batch_size rows where row b of step t+1
        is the window after row b of step t: `starts` (in corpus order) cut into batch_size
        contiguous streams, the remainder dropped (stateful training)."""
        steps = len(starts) // batch_size
        streams = starts[:steps * batch_size].reshape(batch_size, steps)
        offsets = np.arange(self.sequence_length + 1)
        for step in range(steps):
            rows = streams[:, step] * self.sequence_length
            block = np.asarray(self.ids[rows[:, None] + offsets], dtype=np.int32)
            yield block[:, :-1], block[:, 1:]

    def dataset(self, split: str, batch_size: int, first_epoch: int = 0, shards: int = 1,
                streams: bool = False):
        """A tf.data.Dataset of (inputs, labels) batches; training batches reshuffle each epoch.

        The shuffle of epoch e depends only on (seed, e), so a run resumed at first_epoch sees
        the same batches as an uninterrupted one. With shards > 1 (multi-worker training, where
        tf.distribute gives each worker every shards-th training batch) the batch count is cut
        to a multiple of shards so that every worker runs the same number of steps.
        With streams=True the batches are stream_batches (every epoch the same, in order).
        """
        import tensorflow as tf

        starts = self.train if split == "train" else self.validation
        training = split == "train"
        if streams and len(starts) < batch_size:
            raise NextwordError(f"stateful training needs at least --batch-size {batch_size} "
                                f"{split} windows, the corpus gives {len(starts)}; lower "
                                "--batch-size or --sequence-length, or use --windows")
        if shards > 1 and training:
            usable = (len(starts) // batch_size // shards) * shards * batch_size
            if usable == 0:
                raise NextwordError(f"too little {split} data for {shards} workers; add text "
                                    "or lower --batch-size")
            starts = starts[:usable]
        epoch = [first_epoch]

        def generate():
            if streams:
                yield from self.stream_batches(starts, batch_size)
                return
            rng = np.random.default_rng((self.seed, epoch[0])) if training else None
            epoch[0] += 1
            yield from self.batches(starts, batch_size, rng)

        rows = batch_size if streams else None
        spec = tf.TensorSpec(shape=(rows, self.sequence_length), dtype=tf.int32)
        dataset = tf.data.Dataset.from_generator(generate, output_signature=(spec, spec))
        batches = len(starts) // batch_size if streams else -(-len(starts) // batch_size)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
        options = tf.data.Options()
        options.autotune.enabled = False  # avoids a 1-10 s stall at the end of each fit epoch
        if shards > 1:  # training batches are dealt out; every worker validates on all
            policies = tf.data.experimental.AutoShardPolicy
            options.experimental_distribute.auto_shard_policy = (
                policies.DATA if training else policies.OFF)
        return dataset.prefetch(4).with_options(options)
