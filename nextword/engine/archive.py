"""Reading a nextword .keras file without TensorFlow: zipfile + json + h5py into numpy arrays.

A .keras file is a zip of `config.json` (the Keras model's structure), `model.weights.h5` and
nextword's `nextword.json`. Prediction needs only arrays, so this module reads those three
entries directly: it starts in a fraction of TensorFlow's import time and carries none of its
memory. Nothing from the file is executed; the structure is checked against what nextword
writes, and anything else (a Lambda layer, a foreign model) is refused with a one-line error.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import numpy as np

from .. import storage
from ..config import Config
from ..errors import NextwordError
from ..network.names import (
    CORE_NAME,
    EMBEDDING_NAME,
    NGRAM_NAME,
    OUTPUT_NAME,
    PROJECTION_NAME,
    VOCAB_NAME,
    rnn_name,
)
from ..text.vocab import EOL, PAD, UNK
from .stepper import CELL_KINDS, CellWeights, NetworkWeights

WEIGHTS_ENTRY, CONFIG_ENTRY = "model.weights.h5", "config.json"
# Layers nextword writes; anything else means the file was not made by nextword.
KNOWN_LAYERS = {"Functional", "InputLayer", "StringLookup", "Embedding", "TiedEmbedding",
                "Dropout", "SimpleRNN", "LSTM", "GRU", "Dense", "Identity", "Activation",
                "Softmax", "NGramMixture"}
# Layers and keys through which a Keras file can carry Python code.
CODE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


@dataclass
class ModelArrays:
    """What a nextword model file holds, as plain arrays and values."""
    path: str
    meta: dict  # nextword.json: format version, Config, training results, versions
    config: Config
    vocabulary: list  # tokens in id order, the special tokens first
    network: NetworkWeights
    ngram_arrays: list | None  # NGramTable.from_arrays input, or None without an n-gram model
    mixture: np.ndarray | None  # the network's weight per n-gram bucket
    user: bytes | None = None  # the user layer's entry (userlayer.py), if anything was learned
    identity: tuple | None = None  # the version of the file read (storage.identity)
    forms: bytes | None = None  # how its words are written (text/casing.py), if it says


def _damaged(path: str, what: str) -> NextwordError:
    return NextwordError(f"{path} is damaged or was not written by nextword ({what}); "
                         "train it again")


def _walk(node):
    """Every dict inside a parsed JSON value."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def check_structure(path: str, structure: dict) -> None:
    """Refuse code-bearing and foreign models before any weight is read."""
    nodes = list(_walk(structure))
    if {node.get("class_name") for node in nodes} & CODE_LAYERS:  # anywhere, nested or not
        raise NextwordError(f"{path} contains code (a Lambda layer or similar), which nextword "
                            "refuses to run; use a model trained by nextword")
    classes = {node.get("class_name") for node in nodes if "inbound_nodes" in node}
    unknown = classes - KNOWN_LAYERS
    if unknown:
        raise NextwordError(f"{path} is a Keras model saved by something else (it has "
                            f"{', '.join(sorted(map(str, unknown)))} layers), not a nextword "
                            "model; train one with `nextword train CORPUS`")


def _layers(model: dict) -> dict:
    """A Functional model's layers by name."""
    return {layer["config"]["name"]: layer for layer in model["config"]["layers"]}


def _snake_case(name: str) -> str:
    """Keras's naming of a layer's weights group (keras.src.utils.naming.to_snake_case)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _weight_paths(weights, model: dict, prefix: str = "layers") -> dict:
    """Layer name -> its group in the weights file, nested models included.

    Keras names each layer's group after its class in model order ("gru", "dense_1"); the
    group's `vars` carries the layer's own name as metadata, which is used when present.
    """
    paths, used = {}, {}
    for layer in model["config"]["layers"]:
        base = _snake_case(layer["class_name"])
        count = used.get(base, 0)
        used[base] = count + 1
        group = f"{prefix}/{base}" + (f"_{count}" if count else "")
        name = layer["config"]["name"]
        vars_group = weights.get(f"{group}/vars")
        recorded = vars_group.attrs.get("name") if vars_group is not None else None
        if recorded not in (None, name):
            raise KeyError(f"weights group {group} belongs to {recorded!r}, not {name!r}")
        paths[name] = group
        if layer["class_name"] == "Functional":
            paths.update(_weight_paths(weights, layer, f"{group}/layers"))
    return paths


def _variables(weights, group: str) -> list:
    found = weights.get(f"{group}/vars")
    if found is None:
        raise KeyError(f"no weights for {group}")
    return [np.asarray(found[str(i)]) for i in range(len(found))]


def read(path: str) -> ModelArrays:
    """Read and check a nextword model file; raises NextwordError naming what is wrong.

    Every part comes from one open of the file (storage.read_parts): another process that
    replaces the file meanwhile cannot mix two versions into one model.
    """
    # Exists, a zip, nextword.json present, a known format.
    found, meta, parts = storage.read_parts(path, (CONFIG_ENTRY, WEIGHTS_ENTRY,
                                                   storage.USER_ENTRY, storage.FORMS_ENTRY))
    if parts[CONFIG_ENTRY] is None or parts[WEIGHTS_ENTRY] is None:
        raise _damaged(path, f"{CONFIG_ENTRY} or {WEIGHTS_ENTRY} is missing")
    try:
        structure = json.loads(parts[CONFIG_ENTRY])
    except ValueError as error:
        raise _damaged(path, f"{CONFIG_ENTRY}: {error}") from None
    check_structure(path, structure)
    weights_bytes, user = parts[WEIGHTS_ENTRY], parts[storage.USER_ENTRY]
    import h5py

    try:
        with h5py.File(io.BytesIO(weights_bytes), "r") as weights:
            arrays = _arrays(path, meta, structure, weights)
    except (KeyError, IndexError, TypeError, ValueError, OSError) as error:
        raise _damaged(path, f"{type(error).__name__}: {str(error).splitlines()[0]}") from None
    arrays.user, arrays.identity = user, found
    arrays.forms = parts[storage.FORMS_ENTRY]
    return arrays


def _arrays(path: str, meta: dict, structure: dict, weights) -> ModelArrays:
    config = Config.from_dict(meta.get("config", {}))
    top = _layers(structure)
    if VOCAB_NAME not in top or CORE_NAME not in top:
        raise NextwordError(f"{path} does not have nextword's layers (no {VOCAB_NAME!r} or "
                            f"{CORE_NAME!r} layer); train it again with `nextword train CORPUS`")
    lookup = top[VOCAB_NAME]["config"]
    if not isinstance(lookup.get("vocabulary"), list):
        raise _damaged(path, "the vocabulary is not stored in the model's configuration")
    vocabulary = [lookup.get("mask_token") or PAD, lookup.get("oov_token") or UNK]
    vocabulary += [str(token) for token in lookup["vocabulary"]]
    if vocabulary[:3] != [PAD, UNK, EOL]:
        raise _damaged(path, "its vocabulary does not start with nextword's special tokens")
    paths = _weight_paths(weights, structure)
    core = _layers(top[CORE_NAME])
    cells = []
    for index in range(config.layers):
        layer = core.get(rnn_name(index))
        if layer is None or layer["class_name"] not in CELL_KINDS:
            raise _damaged(path, f"recurrent layer {rnn_name(index)} is missing")
        settings = layer["config"]
        if (settings.get("activation"), settings.get("recurrent_activation", "sigmoid")) \
                != ("tanh", "sigmoid") or settings.get("go_backwards"):
            raise _damaged(path, f"layer {rnn_name(index)} has settings nextword never writes")
        kind = CELL_KINDS[layer["class_name"]]
        if kind == "gru" and not settings.get("reset_after", True):
            raise _damaged(path, "GRU layers with reset_after=False are not supported")
        variables = _variables(weights, paths[rnn_name(index)] + "/cell")
        cells.append(CellWeights(kind, variables[0], variables[1],
                                 variables[2] if len(variables) > 2 else None))
    embedding_variables = _variables(weights, paths[EMBEDDING_NAME])
    embedding = embedding_variables[0]
    tied = core[EMBEDDING_NAME]["class_name"] == "TiedEmbedding"
    projection = None
    if PROJECTION_NAME in core:
        projection = tuple(_variables(weights, paths[PROJECTION_NAME])[:2])
    if tied:
        output_kernel = embedding.T
        output_bias = embedding_variables[1] if len(embedding_variables) > 1 \
            else np.zeros(len(embedding), np.float32)
    else:
        output_kernel, output_bias = _variables(weights, paths[OUTPUT_NAME])[:2]
    if embedding.shape[0] != len(vocabulary) or output_kernel.shape[1] != len(vocabulary):
        raise _damaged(path, f"its weights cover {embedding.shape[0]} words, its vocabulary "
                             f"{len(vocabulary)}")
    network = NetworkWeights(embedding, cells, projection, output_kernel, output_bias, tied)
    ngram_arrays = mixture = None
    if NGRAM_NAME in top:
        variables = _variables(weights, paths[NGRAM_NAME])
        ngram_arrays, mixture = variables[:-1], variables[-1]
        if (len(ngram_arrays) - 1) % 6 or len(ngram_arrays[0]) != len(vocabulary):
            raise _damaged(path, "its n-gram tables do not fit its vocabulary")
        # Format 1 files may key their contexts by packed ids: converted.
        if top[NGRAM_NAME]["config"].get("key_layout", "packed") == "packed":
            from ..ngram.kneser_ney import NGramTable

            ngram_arrays = NGramTable.from_arrays(len(vocabulary), ngram_arrays,
                                                  packed=True).arrays()
    return ModelArrays(path, meta, config, vocabulary, network, ngram_arrays, mixture)
