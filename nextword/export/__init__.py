"""`nextword export`: a model in the formats other runtimes read, each with a JSON sidecar.

- litert: the network as a one-token step in a .tflite file (network.py), float32 or with
  int8 weights (`quantize="dynamic"`);
- onnx: the same step as an .onnx file;
- arpa: the Kneser-Ney n-gram tables as an ARPA file (arpa.py);
- vocab: the vocabulary, one token per line, in id order.

Every export also writes PATH.json (the sidecar: vocabulary file, tokenizer settings, special
ids, state layout, mixture weights) and, beside a network or n-gram file, the vocabulary as
STEM.vocab.txt, so that an app tokenises, steps and mixes as nextword does. The model file is
read as arrays (archive.py): nothing in it is executed. What `nextword learn` added (the user
layer) is not exported: the base model is.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .._version import __version__
from ..engine import archive
from ..errors import NextwordError
from ..ngram.loglinear import lower_orders
from ..text.tokenize import ASCII_PATTERN, TOKEN_PATTERN
from ..text.vocab import EOL, EOL_ID, PAD, PAD_ID, UNK, UNK_ID

FORMATS = ("litert", "onnx", "arpa", "vocab")
QUANTIZATIONS = ("dynamic",)
SUFFIXES = {"litert": ".tflite", "onnx": ".onnx", "arpa": ".arpa", "vocab": ".txt"}


def sidecar_path(path: str) -> str:
    return path + ".json"


def vocabulary_path(path: str, format: str) -> str:
    """Where the vocabulary goes: the export itself for `vocab`, else STEM.vocab.txt."""
    return path if format == "vocab" else os.path.splitext(path)[0] + ".vocab.txt"


def check(format: str, path: str, quantize: str | None) -> None:
    """Refuse bad requests before anything is read or written."""
    if format not in FORMATS:
        raise NextwordError(f"unknown export format {format!r}; choose one of "
                            f"{', '.join(FORMATS)}")
    if quantize is not None and format != "litert":
        raise NextwordError(f"--quantize applies to --format litert only; {format} has no "
                            "quantisation")
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise NextwordError(f"unknown --quantize {quantize!r}; choose "
                            f"{', '.join(QUANTIZATIONS)}")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise NextwordError(f"output {path} is a folder; give a file name such as "
                            f"{os.path.join(path, 'model' + SUFFIXES[format])}")
    if not os.path.isdir(folder):
        raise NextwordError(f"folder {folder} does not exist; create it or choose another -o")
    if not os.access(folder, os.W_OK):
        raise NextwordError(f"folder {folder} is not writable; choose another -o")


def _write_atomically(path: str, write) -> None:
    """write(temporary) beside path, then rename it over path: never a half-written export."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".nextword-export-", dir=folder)
    os.close(handle)
    try:
        result = write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
        return result
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def export(model_path: str, format: str, path: str, quantize: str | None = None) -> dict:
    """Export the model at model_path as `format` to path; returns the sidecar's contents.

    Raises NextwordError for an unknown format, a missing output folder, `arpa` of a model
    without an n-gram model, or --quantize with a format other than litert.
    """
    check(format, path, quantize)
    arrays = archive.read(model_path)
    if format == "arpa" and arrays.ngram_arrays is None:
        raise NextwordError(f"{model_path} has no n-gram model to export as ARPA (it was "
                            "trained with --ngram-order 0); export litert, onnx or vocab")
    vocabulary = arrays.vocabulary  # the base model's: learned words are not exported
    details = {}
    if format == "litert":
        from .network import to_litert

        _write_atomically(path, lambda temporary: to_litert(arrays.network, temporary,
                                                            quantize))
    elif format == "onnx":
        from .network import to_onnx

        _write_atomically(path, lambda temporary: to_onnx(arrays.network, temporary))
    elif format == "arpa":
        from ..ngram.kneser_ney import NGramTable
        from .arpa import write_arpa

        table = NGramTable.from_arrays(len(vocabulary), arrays.ngram_arrays)
        counts = _write_atomically(path, lambda temporary: write_arpa(table, vocabulary,
                                                                      temporary))
        details["arpa_ngrams"] = {str(n): count for n, count in counts.items()}
    words = vocabulary_path(path, format)
    _write_atomically(words, lambda temporary: _write_vocabulary(vocabulary, temporary))
    meta = sidecar(arrays, format, path, words, quantize)
    meta.update(details)
    _write_atomically(sidecar_path(path), lambda temporary: _write_json(meta, temporary))
    return meta


def _write_vocabulary(tokens: list, path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\n".join(tokens) + "\n")


def _write_json(value: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, ensure_ascii=False)
        handle.write("\n")


def sidecar(arrays: archive.ModelArrays, format: str, path: str, words: str,
            quantize: str | None) -> dict:
    """What an app needs beside the exported file to tokenise, step and mix like nextword."""
    from .network import state_layout, state_size

    config, network = arrays.config, arrays.network
    meta = {
        "format": format,
        "file": os.path.basename(path),
        "nextword_version": __version__,
        "model": os.path.basename(arrays.path),
        "vocabulary_file": os.path.basename(words),
        "vocabulary_size": len(arrays.vocabulary),
        "special_tokens": {"padding": {"id": PAD_ID, "token": PAD},
                           "unknown": {"id": UNK_ID, "token": UNK},
                           "end_of_line": {"id": EOL_ID, "token": EOL}},
        "start": "feed the end-of-line id first: every text starts a line",
        "tokenizer": {
            "kind": config.tokenizer,
            "lowercase": config.lowercase,
            "unicode_normalization": "NFC",
            # findall of this pattern (Python's `regex` module: \p{M}) gives the tokens; for
            # ASCII text the stdlib `re` pattern gives the same
            "pattern": TOKEN_PATTERN.pattern,
            "ascii_pattern": ASCII_PATTERN.pattern,
            "unknown_words": "spelled as their characters" if config.spells
            else "the unknown id",
        },
        "network": {
            "cell": config.cell, "layers": config.layers, "units": config.units,
            "embedding_dim": config.embedding_dim, "tied_weights": network.tied,
            "parameters": network.parameters,
            "state_size": state_size(network), "state_layout": state_layout(network),
            "signature": "step",
            "inputs": {"token": "int32 [1]", "state": f"float32 [1, {state_size(network)}]"},
            "outputs": {"log_probabilities": f"float32 [1, {len(arrays.vocabulary)}]",
                        "new_state": f"float32 [1, {state_size(network)}]"},
        },
        "quantize": quantize,
        "blocked_words": arrays.meta.get("blocked", []),
        "user_layer": "not exported: words and phrases learned with `nextword learn` stay in "
                      "the .keras file" if arrays.user else None,
    }
    if arrays.ngram_arrays is not None:
        order = (len(arrays.ngram_arrays) - 1) // 6 + 1
        meta["ngram"] = {
            "order": order,
            "mixture": np.asarray(arrays.mixture, dtype=np.float64).tolist(),
            "mixing": "m = w[b] * network + (1 - w[b]) * ngram, where b = 0 when no context "
                      "of the n-gram model was seen, else 1 + (n - 2) * 6 + min(floor(log2("
                      "count of that context)), 5) for the longest context seen, of order n"
                      + (_exponents_text(lower_orders(arrays.mixture))
                         if np.ndim(arrays.mixture) == 2 else "; mixture[b] = w and p = m"),
        }
    return meta


def _exponents_text(orders: tuple) -> str:
    """The sidecar's words for a mixture with log-linear exponents at these lower orders."""
    names = [f"lower{n}" for n in orders]
    letters = [f"l{n}" for n in orders]
    return (f"; mixture[b] = [w, a, c, d, u, {', '.join(letters)}] and p = network^a[b] * "
            "ngram^c[b] * m^d[b] * unigram^u[b] * "
            + " * ".join(f"{name}^{letter}[b]" for name, letter in zip(names, letters))
            + ", normalised over the vocabulary, where unigram is the n-gram model's unigram "
            "and lowerN its distribution from the last N - 1 words alone (order N)")
