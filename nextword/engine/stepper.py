"""The recurrent network in numpy, from the saved model's weights: stepped and batched.

Generating and predicting feed a handful of rows at a time, where TensorFlow's per-call
dispatch dominates (measured here: 0.37 ms for a tf.function that adds 1, 3.7 ms for one step
of a 2x256 LSTM over 10,000 words; the same step in numpy takes well under 1 ms). This module
runs the Keras cells' own equations on plain arrays (read from the .keras file by archive.py,
without TensorFlow), so its distributions equal a full forward pass of the Keras model (checked
in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELL_KINDS = {"SimpleRNN": "simplernn", "LSTM": "lstm", "GRU": "gru"}


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # exact identity, no overflow warnings


@dataclass
class CellWeights:
    """One Keras recurrent cell's weights (default activations: tanh, sigmoid gates)."""
    kind: str  # "simplernn", "lstm" or "gru" (GRU with reset_after=True, Keras's default)
    kernel: np.ndarray  # (input dim, gates * units)
    recurrent: np.ndarray  # (units, gates * units)
    bias: np.ndarray | None  # (gates * units,), or (2, 3 * units) for a GRU

    @property
    def units(self) -> int:
        return self.recurrent.shape[0]

    @property
    def states(self) -> int:
        return 2 if self.kind == "lstm" else 1

    @property
    def parameters(self) -> int:
        return self.kernel.size + self.recurrent.size + (0 if self.bias is None else self.bias.size)


@dataclass
class NetworkWeights:
    """Everything the network computes with: embedding, cells, projection, output layer."""
    embedding: np.ndarray  # (vocab, dim)
    cells: list  # of CellWeights, bottom layer first
    projection: tuple | None  # (kernel (units, dim), bias (dim,)) before a tied output layer
    output_kernel: np.ndarray  # (dim or units, vocab); the embedding transposed when tied
    output_bias: np.ndarray  # (vocab,)
    tied: bool

    @property
    def parameters(self) -> int:
        """Trainable parameters, counted as Keras counts them (a tied matrix once)."""
        total = self.embedding.size + self.output_bias.size
        total += sum(cell.parameters for cell in self.cells)
        if self.projection is not None:
            total += sum(part.size for part in self.projection)
        if not self.tied:
            total += self.output_kernel.size
        return total


class NumpyCell:
    """One recurrent cell's step equations."""

    def __init__(self, weights: CellWeights):
        self.kind = weights.kind
        self.kernel = np.ascontiguousarray(weights.kernel, dtype=np.float32)
        self.recurrent = np.ascontiguousarray(weights.recurrent, dtype=np.float32)
        self.bias = None if weights.bias is None else np.asarray(weights.bias, np.float32)
        self.units = weights.units
        self.states = weights.states

    def inputs(self, x):
        """The input projection of all time steps at once: x (batch, time, dim)."""
        projected = x @ self.kernel
        if self.bias is not None:
            projected += self.bias[0] if self.kind == "gru" else self.bias
        return projected

    def step(self, projected, state):
        """One step from the projected input (batch, n*units) and the state list."""
        h = state[0]
        units = self.units
        if self.kind == "simplernn":
            h = np.tanh(projected + h @ self.recurrent)
            return h, [h]
        if self.kind == "lstm":
            z = projected + h @ self.recurrent
            i = _sigmoid(z[:, :units])
            f = _sigmoid(z[:, units:2 * units])
            g = np.tanh(z[:, 2 * units:3 * units])
            o = _sigmoid(z[:, 3 * units:])
            c = f * state[1] + i * g
            h = o * np.tanh(c)
            return h, [h, c]
        inner = h @ self.recurrent
        if self.bias is not None:
            inner += self.bias[1]
        z = _sigmoid(projected[:, :units] + inner[:, :units])
        r = _sigmoid(projected[:, units:2 * units] + inner[:, units:2 * units])
        candidate = np.tanh(projected[:, 2 * units:] + r * inner[:, 2 * units:])
        h = z * h + (1.0 - z) * candidate
        return h, [h]


class NumpyStepper:
    """Embedding -> cells -> (projection) -> output logits, with carried state.

    State is a flat tuple of (batch, units) float32 arrays, layer by layer.
    """

    def __init__(self, weights: NetworkWeights):
        self.embedding = np.ascontiguousarray(weights.embedding, dtype=np.float32)
        self.cells = [NumpyCell(cell) for cell in weights.cells]
        self.projection = weights.projection
        # A (dim, vocab) matrix in row order: the product with one hidden row is a single
        # contiguous pass (the tied embedding's transpose as a view would be strided).
        self.output_kernel = np.ascontiguousarray(weights.output_kernel, dtype=np.float32)
        self.output_bias = np.asarray(weights.output_bias, dtype=np.float32)

    def initial_state(self, batch: int) -> tuple:
        return tuple(np.zeros((batch, cell.units), dtype=np.float32)
                     for cell in self.cells for _ in range(cell.states))

    def logits(self, hidden):
        """Output logits of hidden vectors (..., units)."""
        if self.projection is not None:
            hidden = hidden @ self.projection[0] + self.projection[1]
        return hidden @ self.output_kernel + self.output_bias

    def run(self, token_ids, state):
        """Run (batch, time) ids; returns (the last layer's outputs (batch, time, units), state)."""
        x = self.embedding[np.asarray(token_ids)]
        new_state, offset = [], 0
        for cell in self.cells:
            projected = cell.inputs(x)
            layer_state = list(state[offset:offset + cell.states])
            outputs = np.empty(projected.shape[:2] + (cell.units,), dtype=np.float32)
            for t in range(projected.shape[1]):
                outputs[:, t], layer_state = cell.step(projected[:, t], layer_state)
            x = outputs
            new_state += layer_state
            offset += cell.states
        return x, tuple(new_state)

    def advance(self, token_ids, state):
        """Run (batch, time) ids; returns (logits after the last token, new state)."""
        outputs, state = self.run(token_ids, state)
        return self.logits(outputs[:, -1]), state
