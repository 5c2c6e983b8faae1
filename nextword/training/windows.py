"""Training windows over the corpus's ids, and the tf.data batches that fit() reads.

Windows are cut from the memory-mapped id file of the corpus pass (text/scan.py), so memory
stays proportional to the vocabulary, not to the corpus.
"""

from __future__ import annotations

import numpy as np

from ..errors import NextwordError


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
