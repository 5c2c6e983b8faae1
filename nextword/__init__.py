"""nextword: train word-level next-word prediction models on your own text, and use them.

The public API, and the only names other code should rely on:

    load, train, Config, GenerationConfig, Predictor, TrainingResult, NextwordError, __version__

Everything under the subpackages is internal. The names are loaded on first use, so
`import nextword` pulls in neither TensorFlow nor numpy: `load` never imports TensorFlow
(prediction runs in numpy), `train` imports it when called. Importing nextword also arranges
for its Keras layers to be registered as soon as Keras is imported, so that
`keras.saving.load_model` opens nextword's files in safe mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__
from .network.register import register_when_keras_loads

if TYPE_CHECKING:  # for type checkers and editors; at run time these load on first use
    from .config import Config
    from .engine.generation import GenerationConfig
    from .engine.predictor import Predictor
    from .errors import NextwordError
    from .results import TrainingResult

register_when_keras_loads()

_LAZY = {  # public name -> the module that defines it
    "Config": "nextword.config",
    "GenerationConfig": "nextword.engine.generation",
    "Predictor": "nextword.engine.predictor",
    "TrainingResult": "nextword.results",
    "NextwordError": "nextword.errors",
}

__all__ = ["load", "train", "Config", "GenerationConfig", "Predictor", "TrainingResult",
           "NextwordError", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # found once, then an ordinary attribute
        return value
    raise AttributeError(f"module 'nextword' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load(path: str, ngram: bool = True, cache_size: int = 256,
         recent_weight: float | None = None) -> "Predictor":
    """Load a .keras model file written by nextword; returns a Predictor.

    ngram=False ignores the file's n-gram model: the network alone predicts. cache_size:
    how many recent texts keep their model state (0: none), so that the next keystroke or word
    of a text costs one step. recent_weight: the weight of the short-range cache of recent
    words in suggestions (None: the default; 0: off). TensorFlow is not imported.
    """
    from .engine.predictor import RECENT_WEIGHT, Predictor

    return Predictor.load(path, ngram=ngram, cache_size=cache_size,
                          recent_weight=RECENT_WEIGHT if recent_weight is None else recent_weight)


def train(corpus, output: str = "models/nextword.keras", config: "Config | None" = None,
          **options) -> "TrainingResult":
    """Train on corpus (paths, folders, globs) and write output; options are Config fields.

    Returns a TrainingResult (validation perplexity, epochs, history, ...).
    """
    import dataclasses

    from .config import Config
    from .training.pipeline import train as run_training

    config = config or Config()
    for name in options:
        if not hasattr(config, name):
            raise TypeError(f"unknown training option {name!r}")
    config = dataclasses.replace(config, **options)  # the caller's config stays as it was
    if isinstance(corpus, str):
        corpus = [corpus]
    return run_training(corpus, config, output)
