"""Reading corpora (files, folders, globs) as a stream of text, and word-level tokenisation.

Files are read in fixed-size chunks and decoded incrementally, so neither a huge file nor one
enormous line is ever held whole in memory. The tokeniser is shared by training and prediction.
"""

from __future__ import annotations

import codecs
import glob
import os
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import regex

from .errors import NextwordError

CHUNK_BYTES = 1 << 20  # read files a megabyte at a time
MAX_SEGMENT_CHARS = 1 << 20  # split a line longer than this at whitespace

# A word (letters/digits, with inner hyphens and apostrophes such as "don't", "well-known"),
# a possessive "'s" split off ("lord's" -> "lord", "'s"), runs of dashes or dots, or any other
# single non-space character (punctuation becomes a token of its own).
# Words include combining marks (\p{M}), so scripts such as Devanagari and decomposed accents
# stay whole; text is NFC-normalised first so one word has one spelling. \x1c-\x1f are
# whitespace to Python's str.split but not to regex's \s: they are dropped like spaces.
TOKEN_PATTERN = regex.compile(
    r"'s\b|[\w\p{M}]+(?:-[\w\p{M}]+)*(?:'(?!s\b)[\w\p{M}]+)*|-{2,}|\.{2,}|[^\w\p{M}\s\x1c-\x1f]")

# Detokenisation: no space before these, no space after OPENERS.
NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "}", "'s", "'", "...", "%"}
OPENERS = {"(", "[", "{"}


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split text into word and punctuation tokens; whitespace is dropped."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if lowercase:
        text = text.lower()
    return TOKEN_PATTERN.findall(text)


def detokenize(tokens: Iterable[str], eol: str = "<eol>") -> str:
    """Join tokens the way text is written: "god said , let" -> "god said, let"."""
    out: list[str] = []
    attach = True  # no space before the first token
    for token in tokens:
        if token == eol:
            out.append("\n")
            attach = True
            continue
        if not attach and token not in NO_SPACE_BEFORE:
            out.append(" ")
        out.append(token)
        attach = token in OPENERS
    return "".join(out)


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


def iter_segments(path: str, encoding: str = "utf-8",
                  on_bytes=None) -> Iterator[tuple[str, bool]]:
    """Yield (text, ends_line) pieces of a file, reading it in chunks.

    Each line is yielded with ends_line=True (a last line without a newline counts as a line).
    A line longer than MAX_SEGMENT_CHARS comes in several pieces cut at whitespace, all but the
    last with ends_line=False, so memory stays bounded whatever the file looks like.
    `on_bytes(n)`, if given, is called after each chunk read, for progress bars.
    """
    line_number = 1
    pending = ""
    with open(path, "rb") as handle:
        first = True
        decoder = None
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if on_bytes is not None:
                on_bytes(len(chunk))
            if first:
                decoder = _decoder_for(chunk, encoding)
                first = False
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                raise _decode_error(path, pending, text_lines=line_number, error=error,
                                    encoding=encoding) from None
            if not text and not chunk:
                break
            pending += text
            lines = pending.split("\n")
            pending = lines.pop()
            for line in lines:
                yield line.rstrip("\r"), True
                line_number += 1
            while len(pending) > MAX_SEGMENT_CHARS:
                cut = pending.rfind(" ", 0, MAX_SEGMENT_CHARS)
                cut = MAX_SEGMENT_CHARS if cut <= 0 else cut
                yield pending[:cut], False
                pending = pending[cut:]
    if pending:
        yield pending.rstrip("\r"), True


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
    """Yield lists of tokens, one per line (or per piece of a very long line), ending with eol."""
    for path in files:
        for text, ends_line in iter_segments(path, encoding, on_bytes):
            tokens = tokenize(text, lowercase)
            if ends_line:
                tokens.append(eol)
            yield tokens
