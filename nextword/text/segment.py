"""Tokenising text written without spaces: Chinese words, and characters for other scripts.

A word tokeniser finds words between spaces, which Chinese, Japanese and Thai do not write:
it would make a whole clause one "word". The `chinese` tokeniser cuts runs of Han characters
into words with jieba's dictionary (rjieba: the maintained Rust port, jieba-rs; a release in
2026-10, no start-up cost), writes kana, Thai and the other unspaced scripts as single
characters, and keeps the word tokeniser for everything else, so English words, digits and
URLs inside Chinese text come out as they would in English text. The `chars` tokeniser writes
every unspaced script, Han included, as characters.

`auto` is resolved once, when a model is trained, from the scripts of the corpus, and the
result is saved with the model: every command tokenises as training did.
"""

from __future__ import annotations

import regex

TOKENIZERS = ("auto", "words", "chinese", "chars")
# Scripts written without spaces between words.
UNSPACED = (r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}"
            r"\u30fc\u3005")  # the katakana long-vowel mark and the iteration mark
_WORD_CHAR = rf"(?:[^\W{UNSPACED}]|\p{{M}})"  # a word character of a spaced script
_WORDS = (rf"(?P<han>\p{{Han}}+)|(?P<unspaced>[{UNSPACED}])|'[sS]\b"
          rf"|{_WORD_CHAR}+(?:-{_WORD_CHAR}+)*(?:'(?![sS]\b){_WORD_CHAR}+)*"
          r"|-{2,}|\.{2,}|[^\w\p{M}\s\x1c-\x1f]")
PATTERN = regex.compile(_WORDS)
LINE_PATTERN = regex.compile("\n|" + _WORDS)
IS_UNSPACED = regex.compile(rf"[{UNSPACED}]")
# Chinese and full-width punctuation: written without spaces around it.
CJK_PUNCTUATION = set("，。！？、：；「」『』《》〈〉（）【】〔〕…—～·“”‘’．，：；！？（）")

_segmenter = None


def _cut(run: str) -> list[str]:
    """Han characters cut into words by jieba's dictionary (no HMM guessing of new words:
    the same text always gives the same words, and unseen words are spelled out later)."""
    global _segmenter
    if _segmenter is None:
        try:
            import rjieba
        except ImportError:
            from ..errors import NextwordError

            raise NextwordError("the chinese tokenizer needs the rjieba package; install it "
                                "with pip install rjieba") from None
        _segmenter = rjieba
    return _segmenter.cut(run, hmm=False)


def tokenize(text: str, tokenizer: str, newlines: bool = False) -> list[str]:
    """Tokens of (normalised, case-folded) text under the `chinese` or `chars` tokeniser."""
    tokens: list[str] = []
    for match in (LINE_PATTERN if newlines else PATTERN).finditer(text):
        han = match.group("han")
        if han is None:
            tokens.append(match.group())
        elif tokenizer == "chinese":
            tokens += _cut(han)
        else:
            tokens += list(han)
    return tokens


def joins_without_space(left: str, right: str) -> bool:
    """No space between these two tokens: either is unspaced or Chinese punctuation."""
    return (left[-1:] in CJK_PUNCTUATION or right[:1] in CJK_PUNCTUATION
            or bool(IS_UNSPACED.match(left[-1:])) or bool(IS_UNSPACED.match(right[:1])))


def reserved_characters(tokenizer: str) -> list[str]:
    """Characters a vocabulary keeps whether or not training saw them.

    For Chinese, the 6,763 Han characters of GB2312, the standard set of simplified Chinese
    (taken from Python's own codec, no data file): a character the training text lacked is
    then still scored in later text, as a rare word, instead of falling into the unknown token.
    """
    if tokenizer not in ("chinese", "chars"):
        return []
    characters = []
    for code in range(0x4E00, 0xA000):
        character = chr(code)
        try:
            character.encode("gb2312")
        except UnicodeEncodeError:
            continue
        characters.append(character)
    return characters


def choose(sample: str) -> str:
    """What `auto` becomes for a corpus, from a sample of its text.

    `words` unless at least a fifth of its letters are in unspaced scripts; then `chinese`
    when most of those are Han characters, else `chars`.
    """
    letters = sum(1 for character in sample if character.isalpha())
    unspaced = len(IS_UNSPACED.findall(sample))
    if not letters or unspaced < 0.2 * letters:
        return "words"
    han = len(regex.findall(r"\p{Han}", sample))
    return "chinese" if han >= 0.5 * unspaced else "chars"
