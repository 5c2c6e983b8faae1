"""The training-curve picture written beside each model: loss and perplexity per epoch."""

from __future__ import annotations

import math


def plot_history(history: dict, path: str, title: str = "") -> str:
    """Draw training and validation loss and perplexity per epoch into a PNG file.

    Args:
        history: Keras History.history (keys loss, val_loss, ...), or the CSV columns.
        path: the PNG file to write.
    Returns:
        path.
    """
    # A bare Figure draws to files without pyplot's global backend, so a notebook's inline
    # plotting is left as it was.
    from matplotlib.figure import Figure

    validation = [float(v) for v in history.get("val_loss", [])]
    training = [float(v) for v in history.get("loss", [])]
    epochs = range(1, max(len(validation), len(training)) + 1)
    figure = Figure(figsize=(10, 4))
    loss_axis, perplexity_axis = figure.subplots(1, 2)
    # A sampled-softmax training loss (no "perplexity" logged) is no cross-entropy over the
    # vocabulary: draw it on the loss panel, labelled, and leave it off the perplexity panel.
    full = "perplexity" in history
    curves = ((training, "training" if full else "training (sampled softmax)", full, "C0"),
              (validation, "validation", True, "C1"))
    for values, label, as_perplexity, color in curves:
        if values:
            steps = list(epochs)[:len(values)]
            loss_axis.plot(steps, values, marker="o", label=label, color=color)
            if as_perplexity:
                perplexity_axis.plot(steps, [math.exp(min(v, 50)) for v in values],
                                     marker="o", label=label, color=color)
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy (nats per word)", title="loss")
    perplexity_axis.set(xlabel="epoch", ylabel="perplexity", title="perplexity", yscale="log")
    for axis in (loss_axis, perplexity_axis):
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.grid(True, alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path
