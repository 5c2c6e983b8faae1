"""Register nextword's Keras layer as soon as Keras is imported, without importing it here.

`import nextword` must be enough for `keras.saving.load_model` to find `TiedEmbedding`, yet
importing nextword must not import TensorFlow (the CLI checks its arguments first, and the
import costs seconds). So: if Keras is loaded already, register now; otherwise wait for its
import with a one-shot meta-path finder and register right after Keras finishes loading.
"""

import importlib
import importlib.abc
import importlib.util
import sys


def _register() -> None:
    importlib.import_module("nextword.network.layers")


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _register()

        spec.loader.exec_module = exec_module
        return spec


def register_when_keras_loads() -> None:
    if "keras" in sys.modules:
        _register()
    elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
