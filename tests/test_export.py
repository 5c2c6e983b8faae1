"""`nextword export`: each format checked against nextword by the runtime that reads it.

LiteRT files by ai-edge-litert's interpreter, ONNX by onnxruntime, ARPA by KenLM; a runtime
that is not installed skips its test and says so (`pip install -e '.[export]'`).
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from test_predictor import WORDS, save_model

from nextword.cli.main import main
from nextword.engine.stepper import CellWeights, NetworkWeights, NumpyStepper
from nextword.ngram.kneser_ney import NGramTable

MISSING = "is not installed: pip install -e '.[export]' to run this check"


def runtime(module):
    return pytest.importorskip(module, reason=f"{module} {MISSING}")


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def numpy_steps(network, ids):
    """nextword's own log-probabilities after each id, one step at a time."""
    stepper = NumpyStepper(network)
    state, out = stepper.initial_state(1), []
    for token in ids:
        logits, state = stepper.advance(np.array([[token]], dtype=np.int32), state)
        out.append(log_softmax(logits)[0])
    return np.array(out)


def random_network(cell, layers, tied, vocab=40, dim=8, units=6, seed=0):
    """Random weights in nextword's layout (large enough that the gates matter)."""
    rng = np.random.default_rng(seed)
    gates = {"simplernn": 1, "lstm": 4, "gru": 3}[cell]

    def normal(*shape):
        return rng.normal(0, 0.5, shape).astype(np.float32)

    cells, size = [], dim
    for _ in range(layers):
        bias = normal(2, gates * units) if cell == "gru" else normal(gates * units)
        cells.append(CellWeights(cell, normal(size, gates * units), normal(units, gates * units),
                                 bias))
        size = units
    embedding = normal(vocab, dim)
    projection = (normal(units, dim), normal(dim)) if tied and units != dim else None
    output = embedding.T if tied else normal(units, vocab)
    return NetworkWeights(embedding, cells, projection, output, normal(vocab), tied)


IDS = [2, 5, 9, 3, 17, 2, 30, 1, 4]
NETWORKS = [("gru", 1, True), ("lstm", 2, False), ("simplernn", 2, True), ("gru", 2, False),
            ("lstm", 1, True)]


def run_steps(step, state_size, ids):
    """Log-probabilities after each id from a runtime's step(token, state) -> (lp, state)."""
    state = np.zeros((1, state_size), np.float32)
    out = []
    for token in ids:
        log_probabilities, state = step(np.array([token], np.int32), state)
        out.append(log_probabilities[0])
    return np.array(out)


@pytest.mark.parametrize("cell, layers, tied", NETWORKS)
def test_onnx_step_equals_nextword(tmp_path, cell, layers, tied):
    """onnxruntime runs the exported step with carried state = nextword's numpy step."""
    runtime("onnx")
    ort = runtime("onnxruntime")
    from nextword.export.network import state_size, to_onnx

    network = random_network(cell, layers, tied)
    to_onnx(network, str(tmp_path / "m.onnx"))
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    got = run_steps(lambda token, state: session.run(None, {"token": token, "state": state}),
                    state_size(network), IDS)
    np.testing.assert_allclose(got, numpy_steps(network, IDS), atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("cell, layers, tied", NETWORKS)
def test_litert_step_equals_nextword(tmp_path, cell, layers, tied):
    """The LiteRT interpreter runs the float32 .tflite step = nextword's numpy step."""
    litert = runtime("ai_edge_litert.interpreter")
    from nextword.export.network import state_size, to_litert

    network = random_network(cell, layers, tied)
    to_litert(network, str(tmp_path / "m.tflite"))
    interpreter = litert.Interpreter(model_path=str(tmp_path / "m.tflite"))
    assert interpreter.get_signature_list() == {
        "step": {"inputs": ["state", "token"], "outputs": ["log_probabilities", "new_state"]}}
    runner = interpreter.get_signature_runner("step")

    def step(token, state):
        out = runner(token=token, state=state)
        return out["log_probabilities"], out["new_state"]

    got = run_steps(step, state_size(network), IDS)
    np.testing.assert_allclose(got, numpy_steps(network, IDS), atol=1e-4)


@pytest.mark.slow
def test_litert_int8_is_small_and_close(tmp_path):
    """--quantize dynamic: int8 weights (one copy of a tied matrix), close distributions."""
    litert = runtime("ai_edge_litert.interpreter")
    from nextword.export.network import state_size, to_litert

    network = random_network("gru", 1, True, vocab=2000, dim=64, units=64)
    for name, quantize in (("f.tflite", None), ("q.tflite", "dynamic")):
        to_litert(network, str(tmp_path / name), quantize)
    assert os.path.getsize(tmp_path / "q.tflite") <= 0.3 * os.path.getsize(tmp_path / "f.tflite")
    runner = litert.Interpreter(model_path=str(tmp_path / "q.tflite")).get_signature_runner(
        "step")

    def step(token, state):
        out = runner(token=token, state=state)
        return out["log_probabilities"], out["new_state"]

    got = run_steps(step, state_size(network), IDS)
    expected = numpy_steps(network, IDS)
    # Total variation distance per step; random weights this large amplify rounding (the
    # default model's int8 file loses under 0.5 points of keystroke savings: benchmarks/)
    distance = float(np.abs(np.exp(got) - np.exp(expected)).sum(axis=1).max()) / 2
    assert distance < 0.15


# ----- ARPA -----------------------------------------------------------------------------------
def ngram_log10(table, ids):
    """nextword's n-gram log10 probability of each id after the ones before it."""
    out = []
    for k in range(1, len(ids)):
        scale, parts, _ = table.lookup(ids[:k])
        p = scale * float(table.unigram[ids[k]])
        for words, alphas, part_scale in parts:
            p += part_scale * float(alphas[words == ids[k]].sum())
        out.append(np.log10(p))
    return np.array(out)


def corpus_ids(vocab, tokens=3000, seed=1):
    """Lines of a small repetitive language (so counts above one exist to prune by)."""
    rng = np.random.default_rng(seed)
    phrases = [list(rng.integers(3, vocab, rng.integers(2, 5))) for _ in range(12)]
    ids = []
    while len(ids) < tokens:
        for _ in range(rng.integers(1, 4)):
            ids += phrases[rng.integers(len(phrases))] if rng.random() < 0.7 \
                else list(rng.integers(3, vocab, 2))
        ids.append(2)  # end of line
    return np.array(ids)


@pytest.mark.parametrize("order, max_entries", [(3, 0), (4, 0), (5, 400)])
def test_arpa_read_by_kenlm_equals_nextword_ngram(tmp_path, order, max_entries):
    """KenLM's per-token log10 probabilities of lines scored from their start = nextword's
    n-gram model's, pruned or not, unknown words included."""
    kenlm = runtime("kenlm")
    from nextword.export.arpa import write_arpa

    vocab = 30
    tokens = ["<pad>", "<unk>", "<eol>"] + [f"w{i}" for i in range(3, vocab)]
    ids = corpus_ids(vocab)
    table = NGramTable.build(ids, vocab, order, max_entries=max_entries)
    if max_entries:  # pruned: entries gone, their mass in the back-off weights
        assert table.entries < NGramTable.build(ids, vocab, order).entries
    write_arpa(table, tokens, str(tmp_path / "m.arpa"))
    model = kenlm.Model(str(tmp_path / "m.arpa"))
    assert model.order == order
    rng = np.random.default_rng(7)
    lines = [list(part) for part in np.split(ids[:600], np.flatnonzero(ids[:600] == 2) + 1)]
    lines = [line[:-1] for line in lines if len(line) > 1]
    words = [1] + list(range(3, vocab))  # unseen lines: any word, the unknown one included
    lines += [list(rng.choice(words, rng.integers(1, 9))) for _ in range(30)]
    for line in lines:
        words = [tokens[i] if i != 1 else "unknownword" for i in line]
        theirs = [score for score, _, _ in model.full_scores(" ".join(words), bos=True,
                                                             eos=True)]
        ours = ngram_log10(table, [2] + list(line) + [2])
        np.testing.assert_allclose(theirs, ours, atol=1e-4, err_msg=" ".join(words))


def test_arpa_file_shape(tmp_path):
    """ARPA's layout: counts, <s> unigram at log 0, no n-gram spanning a line break."""
    from nextword.export.arpa import write_arpa

    vocab = 12
    tokens = ["<pad>", "<unk>", "<eol>"] + [f"w{i}" for i in range(3, vocab)]
    table = NGramTable.build(corpus_ids(vocab, 500), vocab, 3)
    counts = write_arpa(table, tokens, str(tmp_path / "m.arpa"))
    text = (tmp_path / "m.arpa").read_text()
    assert text.startswith("\\data\\\n") and text.endswith("\\end\\\n")
    for n, count in counts.items():
        section = text.split(f"\\{n}-grams:\n")[1].split("\n\n")[0].splitlines()
        assert len(section) == count
        for line in section:
            fields = line.split("\t")
            grams = fields[1].split(" ")
            assert len(grams) == n and "<eol>" not in grams and "<pad>" not in grams
            assert "<s>" not in grams[1:] and "</s>" not in grams[:-1] or n == 1
    assert "-99.000000\t<s>\t" in text


# ----- the command, the sidecar, bad input ----------------------------------------------------
@pytest.fixture(scope="module")
def ngram_model(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("export") / "m.keras", ngram_order=3)


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("plain") / "p.keras")


def test_vocab_and_sidecar(tmp_path, ngram_model):
    result = CliRunner().invoke(main, ["export", "-m", ngram_model, "--format", "vocab",
                                       "-o", str(tmp_path / "words.txt")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "words.txt").read_text().split("\n") == \
        ["<pad>", "<unk>", "<eol>"] + WORDS + [""]
    sidecar = json.loads((tmp_path / "words.txt.json").read_text())
    assert sidecar["vocabulary_file"] == "words.txt"
    assert sidecar["special_tokens"]["end_of_line"] == {"id": 2, "token": "<eol>"}
    assert sidecar["network"]["state_size"] == 6
    assert sidecar["network"]["state_layout"] == [{"layer": 0, "part": "h", "offset": 0,
                                                   "size": 6}]
    assert sidecar["ngram"]["order"] == 3 and len(sidecar["ngram"]["mixture"]) == 13
    assert re.findall(sidecar["tokenizer"]["ascii_pattern"], "god's land, said") == \
        ["god", "'s", "land", ",", "said"]


def test_export_arpa_and_onnx_through_the_command(tmp_path, ngram_model):
    """The command writes the file, the vocabulary beside it and the sidecar."""
    ort = runtime("onnxruntime")
    runner = CliRunner()
    result = runner.invoke(main, ["export", "-m", ngram_model, "--format", "arpa",
                                  "-o", str(tmp_path / "m.arpa")])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path)) == ["m.arpa", "m.arpa.json", "m.vocab.txt"]
    assert "\\3-grams:" in (tmp_path / "m.arpa").read_text()
    result = runner.invoke(main, ["export", "-m", ngram_model, "--format", "onnx",
                                  "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 0, result.output
    from nextword.engine import archive

    network = archive.read(ngram_model).network
    session = ort.InferenceSession(str(tmp_path / "m.onnx"))
    got = run_steps(lambda token, state: session.run(None, {"token": token, "state": state}),
                    6, [2, 4, 5, 6])
    np.testing.assert_allclose(got, numpy_steps(network, [2, 4, 5, 6]), atol=1e-4)


@pytest.mark.parametrize("arguments, message", [
    (["--format", "tflite", "-o", "{tmp}/m.tflite"],
     "Error: unknown export format 'tflite'; choose one of litert, onnx, arpa, vocab"),
    (["--format", "onnx", "-o", "{tmp}/missing/m.onnx"],
     "Error: folder {tmp}/missing does not exist; create it or choose another -o"),
    (["--format", "onnx", "--quantize", "dynamic", "-o", "{tmp}/m.onnx"],
     "Error: --quantize applies to --format litert only; onnx has no quantisation"),
    (["--format", "litert", "--quantize", "int4", "-o", "{tmp}/m.tflite"],
     "Error: unknown --quantize 'int4'; choose dynamic"),
    (["--format", "arpa", "-o", "{tmp}/m.arpa", "-m", "{plain}"],
     "Error: {plain} has no n-gram model to export as ARPA (it was trained with "
     "--ngram-order 0); export litert, onnx or vocab"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, ngram_model, plain_model,
                                                  arguments, message):
    arguments = [a.format(tmp=tmp_path, plain=plain_model) for a in arguments]
    result = CliRunner().invoke(main, ["export", "-m", ngram_model] + arguments)
    assert result.exit_code == 1
    assert result.output.strip() == message.format(tmp=tmp_path, plain=plain_model)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_export_guide_loop_generates_with_litert_alone(tmp_path, ngram_model):
    """docs/export.md's generation loop, run as written: no nextword, no TensorFlow, and the words
    nextword's own greedy generation (network only) chooses."""
    runtime("ai_edge_litert.interpreter")
    import nextword

    guide = open(os.path.join(os.path.dirname(__file__), "..", "docs", "export.md")).read()
    code = guide.split("```python\n")[1].split("```")[0]
    (tmp_path / "models").mkdir()
    result = CliRunner().invoke(main, ["export", "-m", ngram_model, "--format", "litert",
                                       "-o", str(tmp_path / "models" / "nextword.tflite")])
    assert result.exit_code == 0, result.output
    code += "\nimport sys\nassert 'tensorflow' not in sys.modules and 'nextword' not in " \
            "sys.modules, sorted(sys.modules)\n"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
    predictor = nextword.load(ngram_model, ngram=False)
    logits, state = predictor.advance(np.array([predictor.encode("and the lord said")]))
    expected = []
    for _ in range(12):
        logits[0, :3] = -np.inf
        token = int(np.argmax(logits[0]))
        expected.append(predictor.vocabulary.tokens[token])
        logits, state = predictor.step(np.array([token]), state)
    assert run.stdout.strip().split(" ") == "and the lord said".split() + expected


def test_a_model_with_code_is_refused(tmp_path, ngram_model):
    """Export reads the file as arrays, as prediction does: a Lambda layer is refused."""
    from cli_helpers import edit_keras_config

    path = tmp_path / "code.keras"
    edit_keras_config(ngram_model, path, lambda config: config["config"]["layers"].append({
        "class_name": "Lambda", "config": {"name": "evil", "function": "print('ran')"},
        "inbound_nodes": []}))
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(main, ["export", "-m", str(path), "--format", "vocab",
                                       "-o", str(out / "words.txt")])
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {path} contains code (a Lambda layer or "
                                     "similar), which nextword refuses to run; use a model "
                                     "trained by nextword")
    assert os.listdir(out) == []
