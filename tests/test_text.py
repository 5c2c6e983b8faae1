import codecs

import pytest

from nextword.errors import NextwordError
from nextword.text.corpus import find_files, iter_blocks, iter_tokens
from nextword.text.tokenize import detokenize, tokenize


def test_tokenize_splits_punctuation_and_lowercases():
    assert tokenize("And God said, Let there be light!") == [
        "and", "god", "said", ",", "let", "there", "be", "light", "!"]


def test_tokenize_keeps_inner_hyphens_and_apostrophes_and_splits_possessive():
    assert tokenize("The LORD's well-known don't -- wait...") == [
        "the", "lord", "'s", "well-known", "don't", "--", "wait", "..."]


def test_tokenize_keep_case():
    assert tokenize("God said", lowercase=False) == ["God", "said"]


def test_detokenize_attaches_punctuation():
    tokens = ["and", "god", "said", ",", "let", "there", "be", "light", ".", "<eol>", "the",
              "lord", "'s", "(", "holy", ")", "word"]
    assert detokenize(tokens) == "and god said, let there be light.\nthe lord's (holy) word"


def test_iter_tokens_adds_end_of_line_per_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one two\n\nthree", encoding="utf-8")
    tokens = [t for block in iter_tokens([str(path)]) for t in block]
    assert tokens == ["one", "two", "<eol>", "<eol>", "three", "<eol>"]


def test_very_long_line_comes_in_bounded_pieces(tmp_path, monkeypatch):
    import nextword.text.corpus as text

    monkeypatch.setattr(text, "MAX_SEGMENT_CHARS", 100)
    monkeypatch.setattr(text, "CHUNK_BYTES", 64)
    path = tmp_path / "long.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    pieces = list(iter_blocks(str(path)))
    assert len(pieces) > 10 and all(len(piece) <= 100 + 64 for piece in pieces)
    assert "".join(pieces).count("\n") == 1 and pieces[-1].endswith("\n")
    assert sum(len(tokenize(piece)) for piece in pieces) == 1000


def test_utf16_with_bom_is_read(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "héllo world\n".encode("utf-16-le"))
    assert list(iter_tokens([str(path)])) == [["héllo", "world", "<eol>"]]


def test_blocks_never_cut_a_token(tmp_path, monkeypatch):
    import nextword.text.corpus as text

    monkeypatch.setattr(text, "CHUNK_BYTES", 7)
    path = tmp_path / "a.txt"
    words = [f"word{i}" for i in range(300)]
    path.write_text(" ".join(words[:150]) + "\n" + " ".join(words[150:]), encoding="utf-8")
    tokens = [t for block in iter_tokens([str(path)]) for t in block]
    assert tokens == words[:150] + ["<eol>"] + words[150:] + ["<eol>"]


def test_latin1_names_line_and_byte(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("fine line\ncaf\xe9 here\n".encode("latin-1"))
    with pytest.raises(NextwordError, match=r"line 2 is not utf-8 text \(byte 0xe9 at column 4\)"
                       r".*--encoding latin-1"):
        list(iter_tokens([str(path)]))
    tokens = [t for block in iter_tokens([str(path)], encoding="latin-1") for t in block]
    assert tokens[3:] == ["café", "here", "<eol>"]


def test_find_files_walks_folders_skips_binary_and_expands_globs(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "sub" / "b.md").write_text("b\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00binary")
    found = find_files([str(tmp_path)])
    assert [p.rsplit("/", 1)[1] for p in found.files] == ["a.txt", "b.md"]
    assert [p.rsplit("/", 1)[1] for p in found.skipped] == ["image.png"]
    assert len(find_files([str(tmp_path / "**" / "*.md")]).files) == 1


@pytest.mark.parametrize("make, message", [
    (lambda p: str(p / "missing.txt"), "does not exist"),
    (lambda p: (p / "x.bin").write_bytes(b"\x00\x01\x02") and str(p / "x.bin"), "binary file"),
    (lambda p: (p / "empty").mkdir() or str(p / "empty"), "holds no files"),
    (lambda p: str(p / "*.nothing"), "no files match"),
])
def test_find_files_bad_paths(tmp_path, make, message):
    with pytest.raises(NextwordError, match=message):
        find_files([make(tmp_path)])
