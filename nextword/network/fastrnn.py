"""Faster recurrent layers for training: the input projection of a whole window at once.

Keras's GRU and LSTM on a CPU (no cuDNN) run their cell once per time step, and each step
multiplies that step's inputs by the input kernel, a matrix product of `batch` rows. Here the
inputs of every step are projected in one product of `batch x time` rows before the loop, and
the loop does only the recurrent product and the gates. Under mixed precision this also casts
the kernels to bfloat16 once per window instead of once per step.

Measured on the 2x512 GRU of `--budget 30m` (stateful, batch 32, 32-token windows, sampled
softmax, this 2-core CPU; benchmarks/README.md): 1.1-1.2x the steps a second in bfloat16, but
0.8-1.06x in float32, so training uses them in bfloat16 only (trainer.FAST_DTYPES). The time
loop is unrolled into straight-line code, which also pays in bfloat16 (the windows of training
have a fixed, short length; others go to Keras's loop, UNROLL).

The layers hold the same weights as Keras's, in the same order, and compute the same function
(tests/test_fastrnn.py compares outputs and gradients): they are used while training only, and
the network that is saved is built from Keras's own layers (model.build_model), so nothing here
needs registering for loading. Where the fast path does not apply (masks, dropout inside the
cell, reversed sequences, sequences longer than UNROLL or of unknown length, GRU without
reset_after or without biases) they fall back to Keras's code.
"""

from __future__ import annotations

from keras import layers, ops

# Windows up to this many steps (as training's are: sequence_length, 32 by default) are run
# as straight-line code, step by step; longer or unknown lengths go to Keras's own loop.
UNROLL = 64


def _fast(layer, sequences, mask, training) -> bool:
    """Whether the fast path applies to this call."""
    cell = layer.cell
    steps = sequences.shape[1]
    return (mask is None and not layer.go_backwards and cell.use_bias
            and steps is not None and steps <= UNROLL
            and not (training and (cell.dropout or cell.recurrent_dropout)))


def _unrolled(step, projected, states):
    """(last output, outputs (batch, time, units), last states), as Keras's inner_loop."""
    outputs = []
    # Time-major, then one tensor per step: the gradient of unstack is one stack, where that
    # of slicing [:, t] would be a window-sized tensor per step (0.75-0.9x in all).
    for x in ops.unstack(ops.transpose(projected, (1, 0, 2))):
        output, states = step(x, states)
        outputs.append(output)
    return outputs[-1], ops.transpose(ops.stack(outputs), (1, 0, 2)), states


class FastGRU(layers.GRU):
    """keras.layers.GRU (reset_after) with the window's input projection hoisted out of the loop."""

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        if not (_fast(self, sequences, mask, training) and cell.reset_after):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        if isinstance(initial_state, (list, tuple)):
            initial_state = initial_state[0]
        units = cell.units
        input_bias, recurrent_bias = cell.bias[0], cell.bias[1]
        projected = ops.matmul(sequences, cell.kernel) + input_bias
        recurrent_kernel = cell.recurrent_kernel

        def step(x, states):
            h = states[0]
            inner = ops.matmul(h, recurrent_kernel) + recurrent_bias
            zr = cell.recurrent_activation(x[:, :2 * units] + inner[:, :2 * units])
            z, r = zr[:, :units], zr[:, units:]
            candidate = cell.activation(x[:, 2 * units:] + r * inner[:, 2 * units:])
            h = z * h + (1 - z) * candidate
            return h, [h]

        return _unrolled(step, projected, [initial_state])


class FastLSTM(layers.LSTM):
    """keras.layers.LSTM with the window's input projection hoisted out of the loop."""

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        if not _fast(self, sequences, mask, training):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        units = cell.units
        projected = ops.matmul(sequences, cell.kernel) + cell.bias
        recurrent_kernel = cell.recurrent_kernel

        def step(x, states):
            h, c = states
            z = x + ops.matmul(h, recurrent_kernel)
            i = cell.recurrent_activation(z[:, :units])
            f = cell.recurrent_activation(z[:, units:2 * units])
            c = f * c + i * cell.activation(z[:, 2 * units:3 * units])
            o = cell.recurrent_activation(z[:, 3 * units:])
            h = o * cell.activation(c)
            return h, [h, c]

        return _unrolled(step, projected, list(initial_state))


# Keras names a weights file's groups after the layers' classes: named as Keras's, these write
# and read the same files (a backup made by either trains on with the other).
FastGRU.__name__, FastLSTM.__name__ = "GRU", "LSTM"

FAST_LAYERS = {"gru": FastGRU, "lstm": FastLSTM, "simplernn": layers.SimpleRNN}
