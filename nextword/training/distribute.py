"""Running training under tf.distribute: one machine's devices, or several machines.

nextword writes no distribution code of its own: `mirrored` is MirroredStrategy over all local
GPUs (or the CPU), `multi-worker` is MultiWorkerMirroredStrategy configured by the standard
TF_CONFIG environment variable. Only the chief writes files.
"""

from __future__ import annotations

import json
import os

from ..errors import NextwordError

STRATEGIES = ("none", "mirrored", "multi-worker")


def task() -> tuple[str, int, int]:
    """(task type, task index, number of workers) from TF_CONFIG; ("chief", 0, 1) without it."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return "chief", 0, 1
    try:
        config = json.loads(raw)
        cluster, this = config["cluster"], config["task"]
        workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
        return this["type"], int(this["index"]), max(workers, 1)
    except (ValueError, KeyError, TypeError):
        raise NextwordError("TF_CONFIG is not valid JSON with 'cluster' and 'task'; see the "
                            "README's multi-worker example") from None


def is_chief(distribute: str) -> bool:
    """The one process that writes the model: the chief, or worker 0 when there is none."""
    if distribute != "multi-worker":
        return True
    kind, index, _ = task()
    cluster = json.loads(os.environ["TF_CONFIG"])["cluster"]
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def make_strategy(distribute: str):
    """The tf.distribute strategy named on the command line ("none": the default one)."""
    import tensorflow as tf

    if distribute == "none":
        return tf.distribute.get_strategy()
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    if distribute == "multi-worker":
        if not os.environ.get("TF_CONFIG"):
            raise NextwordError("--distribute multi-worker needs the TF_CONFIG environment "
                                "variable on every worker; see the README")
        task()  # validates it
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise NextwordError(f"--distribute must be one of {', '.join(STRATEGIES)}, got {distribute!r}")
