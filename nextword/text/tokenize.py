"""Word-level tokenisation and its inverse: the tokeniser training and prediction share."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

import regex

from . import segment

# A word (letters/digits, with inner hyphens and apostrophes such as "don't", "well-known"),
# a possessive "'s" split off ("lord's" -> "lord", "'s"), runs of dashes or dots, or any other
# single non-space character (punctuation becomes a token of its own).
# Words include combining marks (\p{M}), so scripts such as Devanagari and decomposed accents
# stay whole; text is NFC-normalised first so one word has one spelling. \x1c-\x1f are
# whitespace to Python's str.split but not to regex's \s: they are dropped like spaces.
# The stdlib's re has no \p{M} but is 1.7x faster than regex: ASCII text (where the two agree)
# takes that path. LINE_* patterns also match "\n", the end-of-line token of a text block.
# The patterns treat "'S" as "'s", so cutting text and then folding each token's case gives the
# tokens of the folded text (surface_tokens relies on it; a test holds the two equal).
_WORDS = (r"'[sS]\b|[\w\p{M}]+(?:-[\w\p{M}]+)*(?:'(?![sS]\b)[\w\p{M}]+)*|-{2,}|\.{2,}"
          r"|[^\w\p{M}\s\x1c-\x1f]")
_ASCII_WORDS = r"'[sS]\b|\w+(?:-\w+)*(?:'(?![sS]\b)\w+)*|-{2,}|\.{2,}|[^\w\s]"
TOKEN_PATTERN = regex.compile(_WORDS)
ASCII_PATTERN = re.compile(_ASCII_WORDS)
LINE_PATTERN = regex.compile("\n|" + _WORDS)
ASCII_LINE_PATTERN = re.compile("\n|" + _ASCII_WORDS)

# Detokenisation: no space before these, no space after OPENERS.
NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "}", "'s", "'", "...", "%"}
OPENERS = {"(", "[", "{"}


def tokenize(text: str, lowercase: bool = True, newlines: bool = False,
             tokenizer: str = "words") -> list[str]:
    """Split text into word and punctuation tokens; whitespace is dropped.

    With newlines=True each "\n" is kept as a token of its own (the end of a line).
    tokenizer: "words" (words between spaces), or "chinese" / "chars" for text written
        without spaces (segment.py); ASCII text is tokenised the same way by all three.
    """
    ascii_only = text.isascii()
    if not ascii_only:
        text = unicodedata.normalize("NFC", text)
    if lowercase:
        text = text.lower()
    if ascii_only:
        return (ASCII_LINE_PATTERN if newlines else ASCII_PATTERN).findall(text)
    if tokenizer in ("chinese", "chars"):
        return segment.tokenize(text, tokenizer, newlines)
    return (LINE_PATTERN if newlines else TOKEN_PATTERN).findall(text)


def surface_tokens(text: str, newlines: bool = False, tokenizer: str = "words") -> list[str]:
    """The tokens of text as it is written (case kept): folding each one's case gives what
    tokenize(text, lowercase=True) gives."""
    return tokenize(text, lowercase=False, newlines=newlines, tokenizer=tokenizer)


def fold(tokens: list[str]) -> list[str]:
    """Tokens folded to lower case, as a lowercasing model reads them."""
    return [token.lower() for token in tokens]


def detokenize(tokens: Iterable[str], eol: str = "<eol>") -> str:
    """Join tokens the way text is written: "god said , let" -> "god said, let".

    Chinese (and other unspaced) tokens and Chinese punctuation join without spaces; words of
    spaced scripts keep theirs: "我们 使用 python 的 keras 库 。" -> "我们使用python的keras库。"."""
    out: list[str] = []
    attach = True  # no space before the first token
    previous = ""
    for token in tokens:
        if token == eol:
            out.append("\n")
            attach, previous = True, ""
            continue
        spaced = not attach and token not in NO_SPACE_BEFORE
        if spaced and not (token.isascii() and previous.isascii()):  # English: no lookups
            spaced = not segment.joins_without_space(previous, token)
        if spaced:
            out.append(" ")
        out.append(token)
        attach, previous = token in OPENERS, token
    return "".join(out)
