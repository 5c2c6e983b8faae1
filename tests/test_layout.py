"""The package layout's import rules, read from the code itself (docs/architecture.md).

Each layer imports only layers below it: cli > training, serve, export > engine > network >
config, storage > text, ngram > errors, _version, results. No import loop, no import of the
package root from inside it, and the engine never imports TensorFlow, Keras or training.
Imports inside functions count: a lazy import that runs upward is still an upward arrow.
"""

import ast
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "nextword")
LAYERS = [
    {"errors", "_version", "results"},
    {"text", "ngram"},
    {"config", "storage"},
    {"network"},
    {"engine"},
    {"training", "serve", "export"},
    {"cli"},
]


def modules() -> dict:
    """nextword's module name -> its file, for every .py file of the package."""
    found = {}
    for folder, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, os.path.dirname(ROOT))[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = path
    return found


def imports(module: str, path: str, known: dict) -> set:
    """The modules (nextword's, and others by their top name) that `module` imports."""
    package = module if path.endswith("__init__.py") else module.rsplit(".", 1)[0]
    targets = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:  # `from . import x` names a module when x is one
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in known else source)
    return targets


def layer_of(module: str) -> int | None:
    """The layer of a nextword module (None: the package root and `python -m nextword`)."""
    part = module.split(".")[1] if "." in module else None
    for index, names in enumerate(LAYERS):
        if part in names:
            return index
    return None


def graph() -> dict:
    known = modules()
    return {module: imports(module, path, known) for module, path in known.items()}


def test_every_import_runs_down_the_layers():
    wrong = []
    for module, targets in graph().items():
        here = layer_of(module)
        if here is None:
            continue
        for target in targets:
            if target == "nextword":
                wrong.append(f"{module} imports the package root")
            elif target.startswith("nextword.") and target.split(".")[1] != module.split(".")[1]:
                there = layer_of(target)
                if there is None or there >= here:
                    wrong.append(f"{module} -> {target}")
    assert not wrong, "imports that do not run down the layers:\n" + "\n".join(sorted(wrong))


def test_no_import_loop():
    edges = {module: {t for t in targets if t.startswith("nextword")}
             for module, targets in graph().items()}
    state, loops = {}, []

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                loops.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not loops, "import loops:\n" + "\n".join(loops)


def test_the_engine_and_storage_never_import_tensorflow_keras_or_training():
    wrong = []
    for module, targets in graph().items():
        if module.startswith(("nextword.engine", "nextword.storage", "nextword.text",
                              "nextword.ngram", "nextword.config")):
            for target in targets:
                if target.split(".")[0] in ("tensorflow", "keras") \
                        or target.startswith("nextword.training"):
                    wrong.append(f"{module} -> {target}")
    assert not wrong, "\n".join(wrong)


def test_import_nextword_pulls_in_neither_tensorflow_nor_numpy():
    code = ("import sys, nextword\n"
            "nextword.__version__, nextword.NextwordError, nextword.load, nextword.train\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'numpy')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_the_public_api_is_what_the_package_names():
    import nextword

    assert sorted(nextword.__all__) == sorted(["load", "train", "Config", "GenerationConfig",
                                               "Predictor", "TrainingResult", "NextwordError",
                                               "__version__"])
    for name in nextword.__all__:
        assert getattr(nextword, name) is not None
    from nextword.engine.predictor import Predictor
    from nextword.results import TrainingResult

    assert nextword.Predictor is Predictor and nextword.TrainingResult is TrainingResult
