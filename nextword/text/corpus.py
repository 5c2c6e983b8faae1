"""Reading corpora: finding the files (files, folders, globs) and streaming their text.

Files are read in fixed-size chunks and decoded incrementally, so neither a huge file nor one
enormous line is ever held whole in memory.
"""

from __future__ import annotations

import codecs
import glob
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from ..errors import NextwordError
from .tokenize import tokenize

CHUNK_BYTES = 1 << 20  # read files a megabyte at a time
MAX_SEGMENT_CHARS = 1 << 20  # split a line longer than this at whitespace


@dataclass
class CorpusFiles:
    """The files a set of corpus arguments names, and the ones skipped as not text."""
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _looks_binary(path: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


def find_files(specs: Iterable[str]) -> CorpusFiles:
    """Expand corpus arguments: a file, a folder (recursively) or a glob pattern.

    Binary files named explicitly are an error; binary files met inside a folder or a glob are
    skipped and reported in `skipped`, so a folder that mixes text and images still trains.
    """
    found = CorpusFiles()
    seen: set[str] = set()
    for spec in specs:
        if os.path.isfile(spec):
            if _looks_binary(spec):
                raise NextwordError(f"{spec} is a binary file, not text; "
                                    "give nextword plain text files")
            candidates, explicit = [spec], True
        elif os.path.isdir(spec):
            candidates, explicit = [], False
            for root, dirs, names in os.walk(spec):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                candidates += [os.path.join(root, n) for n in sorted(names)
                               if not n.startswith(".")]
            if not candidates:
                raise NextwordError(f"folder {spec} holds no files; point nextword at text files")
        elif glob.has_magic(spec):
            candidates = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
            explicit = False
            if not candidates:
                raise NextwordError(f"no files match {spec!r}; check the pattern")
        else:
            raise NextwordError(f"corpus path {spec} does not exist; check the path")
        for path in candidates:
            if path in seen:
                continue
            seen.add(path)
            if not explicit and _looks_binary(path):
                found.skipped.append(path)
            else:
                found.files.append(path)
    if not found.files:
        raise NextwordError(f"no text files found in {', '.join(specs)} "
                            f"({len(found.skipped)} binary file(s) skipped); "
                            "give nextword plain text files")
    return found


def _decoder_for(head: bytes, encoding: str):
    """An incremental decoder; a byte-order mark overrides the configured encoding."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    return codecs.getincrementaldecoder(encoding)(errors="strict")


def _last_break(text: str) -> int:
    """Index of the last newline in text, else of the last space or tab; -1 if none."""
    cut = text.rfind("\n")
    return cut if cut >= 0 else max(text.rfind(" "), text.rfind("\t"))


def iter_blocks(path: str, encoding: str = "utf-8", on_bytes=None) -> Iterator[str]:
    """Yield a file's text in pieces of about CHUNK_BYTES that end at whitespace.

    No token is ever cut in two, and the text ends with a newline (a last line without one
    still counts as a line). A run of more than MAX_SEGMENT_CHARS characters without any
    whitespace is cut anyway, so memory stays bounded whatever the file looks like.
    `on_bytes(n)`, if given, is called after each chunk read, for progress bars.
    """
    lines_before = 1
    pending = ""
    last = "\n"  # the last character yielded so far
    with open(path, "rb") as handle:
        decoder = None
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if on_bytes is not None:
                on_bytes(len(chunk))
            if decoder is None:
                decoder = _decoder_for(chunk, encoding)
            try:
                text = pending + decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                raise _decode_error(path, pending, text_lines=lines_before, error=error,
                                    encoding=encoding) from None
            if not chunk:
                pending = text
                break
            cut = _last_break(text)
            if cut < 0:
                if len(text) <= MAX_SEGMENT_CHARS:
                    pending = text
                    continue
                cut = len(text) - 1
            block, pending = text[:cut + 1], text[cut + 1:]
            lines_before += block.count("\n")
            last = block[-1]
            yield block
    if pending or last != "\n":
        yield pending + "\n"


def sample_text(files: Iterable[str], encoding: str = "utf-8", limit: int = 1 << 20) -> str:
    """About the first `limit` characters of the files (to choose a tokenizer from)."""
    parts, size = [], 0
    for path in files:
        for block in iter_blocks(path, encoding):
            parts.append(block[:limit - size])
            size += len(parts[-1])
            break
        if size >= limit:
            break
    return "".join(parts)


def _decode_error(path, pending, text_lines, error, encoding):
    """Name the line and byte that do not decode, and say how to fix it."""
    good = error.object[:error.start].decode(encoding, errors="replace")
    line = text_lines + good.count("\n")
    column = len((pending + good).rsplit("\n", 1)[-1]) + 1
    bad = error.object[error.start:error.start + 1]
    return NextwordError(
        f"{path}: line {line} is not {encoding} text (byte 0x{bad.hex()} at column {column}); "
        f"convert the file to UTF-8 (iconv -f latin1 -t utf-8) or pass --encoding latin-1")


def iter_tokens(files: Iterable[str], lowercase: bool = True, encoding: str = "utf-8",
                eol: str = "<eol>", on_bytes=None) -> Iterator[list[str]]:
    """Yield the tokens of the files block by block, `eol` ending every line.

    With eol="\n" the newline tokens are passed through as they are (the fast path).
    """
    for path in files:
        for block in iter_blocks(path, encoding, on_bytes):
            tokens = tokenize(block, lowercase, newlines=True)
            if eol != "\n":
                tokens = [eol if token == "\n" else token for token in tokens]
            yield tokens


def read_lines(files: Iterable[str], lowercase: bool, encoding: str = "utf-8",
               on_bytes=None, tokenizer: str = "words") -> Iterator[list[str]]:
    """The tokens of every non-empty line of the files, cut and folded as the model's."""
    for path in files:
        for block in iter_blocks(path, encoding, on_bytes):
            for line in block.split("\n"):
                tokens = tokenize(line, lowercase, tokenizer=tokenizer)
                if tokens:
                    yield tokens
