"""Importing TensorFlow without its start-up noise, so users see nextword's output only.

TensorFlow prints several lines on stderr at import (oneDNN, CUDA, CPU features) even with
TF_CPP_MIN_LOG_LEVEL=3; the only sure way to hide them is to point fd 2 elsewhere while it
loads. Errors raised by the import itself still propagate.
"""

import os
import sys

from ..errors import NextwordError


def quiet_tensorflow() -> None:
    """Import tensorflow and keras once, with stderr silenced during the import."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                import keras  # noqa: F401
                import tensorflow as tf  # noqa: F401
            except ModuleNotFoundError as error:
                if error.name not in ("tensorflow", "keras"):
                    raise
                raise NextwordError("TensorFlow and Keras are not installed (the engine does "
                                    "not need them); training, the LiteRT export and the Keras "
                                    "model of a file do: pip install 'nextword[train]' (in a "
                                    "checkout: pip install -e '.[train]')") from None

            tf.get_logger().setLevel("ERROR")
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
