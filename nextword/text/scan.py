"""The one streaming pass over a corpus: tokens counted, and the text kept as ids on disk.

The corpus is tokenised once. Each new word gets a provisional id as it appears and the id stream
goes to a file on disk; word counts come from that stream, the vocabulary is cut, and the ids are
remapped in chunks (encode_scan). Training then reads windows from the memory-mapped id file
(training/windows.py), so memory stays proportional to the vocabulary, not to the corpus.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from ..errors import NextwordError
from .corpus import CorpusFiles, find_files, iter_blocks
from .casing import count_forms
from .tokenize import fold, surface_tokens, tokenize
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
    # How a lowercasing model's words are written (casing.count_forms): the forms not folded,
    # away from a sentence's start, and how often each word begins a sentence.
    forms: Counter = field(default_factory=Counter)
    first: Counter = field(default_factory=Counter)
    capitals: Counter = field(default_factory=Counter)  # where it is written in capitals


PARALLEL_BYTES = 16 << 20  # corpora at least this big are tokenised by a pool of processes


def encode_block(block: str, lowercase: bool, tokenizer: str = "words",
                 forms: bool = True) -> tuple:
    """Tokenise one block of text: (its distinct tokens, each token as an index into them,
    and when folding case (and `forms`), casing.count_forms's counters of how its words are
    written).

    Runs in worker processes; the main process maps the few distinct tokens to global ids,
    so its own work per block is small.
    """
    if lowercase and forms:
        surface = surface_tokens(block, newlines=True, tokenizer=tokenizer)
        tokens = fold(surface)
        forms, first, capitals = count_forms(surface)
    else:
        tokens = tokenize(block, lowercase, newlines=True, tokenizer=tokenizer)
        forms, first, capitals = Counter(), Counter(), Counter()
    words = list(set(tokens))
    local = {word: i for i, word in enumerate(words)}
    ids = np.fromiter(map(local.__getitem__, tokens), dtype=np.int32, count=len(tokens))
    return words, ids, forms, first, capitals


def _encoded_blocks(blocks, lowercase, workers, tokenizer="words", forms=True):
    """encode_block's answer for every block, in order; in `workers` processes if > 1."""
    if workers <= 1:
        for block in blocks:
            yield encode_block(block, lowercase, tokenizer, forms)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process running TensorFlow
    with context.Pool(workers) as pool:
        waiting: deque = deque()
        for block in blocks:
            waiting.append(pool.apply_async(encode_block, (block, lowercase, tokenizer, forms)))
            if len(waiting) >= 2 * workers:  # bounded: never more than a few blocks in flight
                yield waiting.popleft().get()
        while waiting:
            yield waiting.popleft().get()


def scan_corpus(specs, lowercase: bool = True, encoding: str = "utf-8", ids_path: str | None = None,
                on_bytes=None, workers: int | None = None,
                found: CorpusFiles | None = None, tokenizer: str = "words",
                forms: bool = True) -> CorpusScan:
    """Tokenise every file once, counting tokens and optionally writing provisional ids.

    Memory stays proportional to the number of distinct tokens: ids go to `ids_path` block by
    block. Corpora over PARALLEL_BYTES are tokenised by one process per core (`workers`).
    `found` is find_files(specs) when the caller has it already (for a progress bar).
    forms=False skips counting how the words are written (the vocabulary alone is wanted).
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
        for words, local_ids, forms, first, capitals in _encoded_blocks(
                _counted_blocks(scan, encoding, on_bytes), lowercase, workers, tokenizer,
                forms):
            scan.forms.update(forms)
            scan.first.update(first)
            scan.capitals.update(capitals)
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
