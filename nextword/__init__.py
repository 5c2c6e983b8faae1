"""nextword: train word-level next-word prediction models on your own text.

The package imports without TensorFlow. `load` never imports it (prediction runs in numpy);
`train` imports it when called.
"""

from ._version import __version__

from .config import Config  # noqa: E402
from .errors import NextwordError  # noqa: E402
from .network.register import register_when_keras_loads  # noqa: E402

register_when_keras_loads()


def __getattr__(name):
    if name == "GenerationConfig":  # imported on first use: it brings numpy
        from .engine.generation import GenerationConfig

        return GenerationConfig
    raise AttributeError(f"module 'nextword' has no attribute {name!r}")


def load(path: str, ngram: bool = True, cache_size: int = 256, recent_weight: float | None = None):
    """Load a .keras model file written by nextword; returns a Predictor.

    ngram=False ignores the file's n-gram model: the network alone predicts. cache_size:
    how many recent texts keep their model state (0: none), so that the next keystroke or word
    of a text costs one step. recent_weight: the weight of the short-range cache of recent
    words in suggestions (None: the default; 0: off). TensorFlow is not imported.
    """
    from .engine.predictor import RECENT_WEIGHT, Predictor

    return Predictor.load(path, ngram=ngram, cache_size=cache_size,
                          recent_weight=RECENT_WEIGHT if recent_weight is None else recent_weight)


def train(corpus, output: str = "models/nextword.keras", config: Config | None = None, **options):
    """Train on corpus (paths, folders, globs) and write output; options are Config fields.

    Returns a nextword.training.pipeline.TrainingResult (validation perplexity, epochs, history, ...).
    """
    import dataclasses

    from .training.pipeline import train as run_training

    config = config or Config()
    for name in options:
        if not hasattr(config, name):
            raise TypeError(f"unknown training option {name!r}")
    config = dataclasses.replace(config, **options)  # the caller's config stays as it was
    if isinstance(corpus, str):
        corpus = [corpus]
    return run_training(corpus, config, output)


__all__ = ["Config", "GenerationConfig", "NextwordError", "load", "train", "__version__"]
