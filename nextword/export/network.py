"""The network as a one-token step for devices: LiteRT (.tflite) and ONNX files.

Both files have one signature, `step`: `token` (int32 [1]) and `state` (float32 [1, S], every
layer's recurrent state side by side, see state_layout) in; `log_probabilities` (float32
[1, vocab], the network's next-token log-probabilities) and `new_state` out. An app
starts from a zero state and feeds the end-of-line id first, as nextword does.

The step is built from the model file's arrays (archive.py), with the equations of
stepper.py (Keras's own cell equations, batch size 1, no cuDNN kernel): LiteRT through a
tf.function and TensorFlow's converter, ONNX directly with the `onnx` package (see to_onnx).
"""

from __future__ import annotations

import tempfile

import numpy as np

from ..engine.stepper import NetworkWeights
from ..errors import NextwordError

OPSET = 17  # ONNX opset: LogSoftmax over the last axis, Split with a sizes input


def state_layout(network: NetworkWeights) -> list[dict]:
    """Where each layer's states sit in the flat state vector, bottom layer first."""
    layout, offset = [], 0
    for layer, cell in enumerate(network.cells):
        for part in (["h", "c"] if cell.kind == "lstm" else ["h"]):
            layout.append({"layer": layer, "part": part, "offset": offset, "size": cell.units})
            offset += cell.units
    return layout


def state_size(network: NetworkWeights) -> int:
    return sum(cell.units * cell.states for cell in network.cells)


# ----- LiteRT ---------------------------------------------------------------------------------
def _tf_step(network: NetworkWeights):
    """A tf.Module whose `step` runs one token through the network (stepper.py's equations)."""
    import tensorflow as tf

    def constant(array):
        return tf.constant(np.asarray(array, dtype=np.float32))

    embedding = constant(network.embedding)
    # Tied: the output layer multiplies by the embedding matrix itself (transpose_b), so the
    # file holds it once, as the (vocab, dim) weights of a FULLY_CONNECTED op.
    output = embedding if network.tied else constant(np.asarray(network.output_kernel).T)
    output_bias = constant(network.output_bias)
    projection = None if network.projection is None else tuple(map(constant, network.projection))
    cells = [(cell.kind, cell.units, constant(cell.kernel), constant(cell.recurrent),
              None if cell.bias is None else constant(cell.bias)) for cell in network.cells]
    size = state_size(network)

    def gates(x, matrix, bias):
        x = tf.matmul(x, matrix)
        return x if bias is None else x + bias

    @tf.function(input_signature=[tf.TensorSpec([1], tf.int32, name="token"),
                                  tf.TensorSpec([1, size], tf.float32, name="state")])
    def step(token, state):
        x = tf.gather(embedding, token)
        new_state, offset = [], 0
        for kind, units, kernel, recurrent, bias in cells:
            h = state[:, offset:offset + units]
            if kind == "simplernn":
                x = tf.tanh(gates(x, kernel, bias) + tf.matmul(h, recurrent))
                new_state.append(x)
            elif kind == "lstm":
                c = state[:, offset + units:offset + 2 * units]
                z = gates(x, kernel, bias) + tf.matmul(h, recurrent)
                i, f, g, o = tf.split(z, 4, axis=1)
                c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
                x = tf.sigmoid(o) * tf.tanh(c)
                new_state += [x, c]
            else:  # GRU, reset_after=True: bias row 0 on the input, row 1 on the recurrent part
                projected = gates(x, kernel, None if bias is None else bias[0])
                inner = gates(h, recurrent, None if bias is None else bias[1])
                xz, xr, xh = tf.split(projected, 3, axis=1)
                hz, hr, hh = tf.split(inner, 3, axis=1)
                z = tf.sigmoid(xz + hz)
                r = tf.sigmoid(xr + hr)
                x = z * h + (1.0 - z) * tf.tanh(xh + r * hh)
                new_state.append(x)
            offset += units * (2 if kind == "lstm" else 1)
        if projection is not None:
            x = tf.matmul(x, projection[0]) + projection[1]
        logits = tf.matmul(x, output, transpose_b=True) + output_bias
        return {"log_probabilities": tf.nn.log_softmax(logits),
                "new_state": tf.concat(new_state, axis=1)}

    module = tf.Module()
    module.step = step
    return module


def to_litert(network: NetworkWeights, path: str, quantize: str | None = None) -> None:
    """Write the step as a .tflite file (TFLite builtin ops only: any LiteRT runtime runs it).

    quantize="dynamic": int8 weights (dynamic-range quantisation), float32 activations.
    """
    from ..network._tf import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    module = _tf_step(network)
    with tempfile.TemporaryDirectory(prefix="nextword-export-") as folder:
        tf.saved_model.save(module, folder, signatures={"step": module.step})
        converter = tf.lite.TFLiteConverter.from_saved_model(folder, signature_keys=["step"])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "dynamic":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            # A tied matrix feeds GATHER and FULLY_CONNECTED; per-channel scales (what the
            # latter takes by default) make the converter store it twice, as two int8
            # copies: 47% of the float32 size for the default model instead of 25%.
            converter._experimental_disable_per_channel = network.tied
        try:
            flatbuffer = converter.convert()
        except Exception as error:  # the converter's own errors are long; keep the first line
            detail = (str(error).strip().splitlines() or [""])[0][:200]
            raise NextwordError(f"TensorFlow could not convert the network to LiteRT: "
                                f"{type(error).__name__}: {detail}") from None
    with open(path, "wb") as handle:
        handle.write(flatbuffer)


# ----- ONNX -----------------------------------------------------------------------------------
def to_onnx(network: NetworkWeights, path: str) -> None:
    """Write the step as an .onnx file, built node by node with the `onnx` package.

    Why not tf2onnx: its last release (1.17) needs numpy < 2 (Keras's own ONNX export
    monkeypatches numpy for it) and lags TensorFlow; the step is a dozen standard ops, so
    building them here needs neither TensorFlow nor a converter, and onnxruntime checks it.
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise NextwordError("exporting to ONNX needs the onnx package: "
                            "pip install 'nextword[export]'") from None
    nodes, initializers = [], []
    names = iter(range(1 << 30))

    def constant(array, dtype=np.float32):
        name = f"c{next(names)}"
        initializers.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def node(op, *inputs, **attributes):
        name = f"t{next(names)}"
        nodes.append(helper.make_node(op, list(inputs), [name], **attributes))
        return name

    def split(x, parts, units):
        outputs = [f"t{next(names)}" for _ in range(parts)]
        nodes.append(helper.make_node("Split", [x, constant([units] * parts, np.int64)],
                                      outputs, axis=1))
        return outputs

    def gates(x, matrix, bias):
        x = node("MatMul", x, constant(matrix))
        return x if bias is None else node("Add", x, constant(bias))

    def one_minus(x):
        return node("Sub", constant(1.0), x)

    embedding = constant(network.embedding)
    x = node("Gather", embedding, "token", axis=0)  # (1, dim)
    size = state_size(network)
    parts = [f"t{next(names)}" for _ in range(sum(cell.states for cell in network.cells))]
    nodes.append(helper.make_node(
        "Split", ["state", constant([cell.units for cell in network.cells
                                     for _ in range(cell.states)], np.int64)], parts, axis=1))
    new_state, index = [], 0
    for cell in network.cells:
        h = parts[index]
        units = cell.units
        if cell.kind == "simplernn":
            x = node("Tanh", node("Add", gates(x, cell.kernel, cell.bias),
                                  node("MatMul", h, constant(cell.recurrent))))
            new_state.append(x)
        elif cell.kind == "lstm":
            c = parts[index + 1]
            z = node("Add", gates(x, cell.kernel, cell.bias),
                     node("MatMul", h, constant(cell.recurrent)))
            i, f, g, o = split(z, 4, units)
            c = node("Add", node("Mul", node("Sigmoid", f), c),
                     node("Mul", node("Sigmoid", i), node("Tanh", g)))
            x = node("Mul", node("Sigmoid", o), node("Tanh", c))
            new_state += [x, c]
        else:
            bias = cell.bias
            projected = gates(x, cell.kernel, None if bias is None else bias[0])
            inner = gates(h, cell.recurrent, None if bias is None else bias[1])
            xz, xr, xh = split(projected, 3, units)
            hz, hr, hh = split(inner, 3, units)
            z = node("Sigmoid", node("Add", xz, hz))
            r = node("Sigmoid", node("Add", xr, hr))
            candidate = node("Tanh", node("Add", xh, node("Mul", r, hh)))
            x = node("Add", node("Mul", z, h), node("Mul", one_minus(z), candidate))
            new_state.append(x)
        index += cell.states
    if network.projection is not None:
        x = gates(x, *network.projection)
    # Tied: Gemm multiplies by the embedding initializer itself (transB), stored once.
    output = embedding if network.tied else constant(network.output_kernel)
    logits = node("Gemm", x, output, constant(network.output_bias),
                  transB=1 if network.tied else 0)
    nodes.append(helper.make_node("LogSoftmax", [logits], ["log_probabilities"], axis=-1))
    nodes.append(helper.make_node("Concat", new_state, ["new_state"], axis=1))
    vocab = len(network.output_bias)
    graph = helper.make_graph(
        nodes, "nextword_step",
        [helper.make_tensor_value_info("token", TensorProto.INT32, [1]),
         helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, size])],
        [helper.make_tensor_value_info("log_probabilities", TensorProto.FLOAT, [1, vocab]),
         helper.make_tensor_value_info("new_state", TensorProto.FLOAT, [1, size])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="nextword")
    model.ir_version = 8  # what onnxruntime releases of the last few years all read
    onnx.checker.check_model(model)
    onnx.save(model, path)
