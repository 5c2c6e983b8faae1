"""Loading a nextword .keras file as a Keras model, in safe mode (this imports TensorFlow).

Prediction does not need it (engine/archive.py reads the arrays without TensorFlow); it is
for `train --from` (the base's weights), for users who want the Keras model itself
(`Predictor.model`), and for benchmarks.
"""

from __future__ import annotations

from .. import storage
from ..errors import NextwordError
from ._tf import quiet_tensorflow


def load(path: str):
    """Load a nextword .keras file as a Keras model, in safe mode. Returns (keras_model, meta)."""
    meta = storage.read_meta(path)
    quiet_tensorflow()
    import keras

    from . import layers  # noqa: F401  registers TiedEmbedding and NGramMixture for loading

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except ValueError as error:
        if "safe_mode" in str(error) or "lambda" in str(error).lower():
            raise NextwordError(f"{path} contains code (a Lambda layer or similar), which "
                                "nextword refuses to run; use a model trained by nextword") from None
        raise NextwordError(f"{path} could not be loaded as a nextword model: "
                            f"{str(error).splitlines()[0]}") from None
    except OSError as error:  # the disk, not the file: say so rather than blame the file
        raise NextwordError(f"could not read {path}: {error.strerror or error}") from None
    except Exception as error:  # a damaged archive fails in h5py or zipfile; a Keras mismatch
        # in deserialisation: name the cause, since "train it again" does not fix the latter
        detail = (str(error).strip().splitlines() or [""])[0][:200]
        versions = meta.get("versions", {})
        raise NextwordError(f"{path} could not be loaded by Keras {keras.__version__} "
                            f"(written by Keras {versions.get('keras', 'unknown')}): "
                            f"{type(error).__name__}: {detail}") from None
    return model, meta
