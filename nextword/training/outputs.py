"""The files a training run writes, checked before any work, and its per-epoch history.

Beside the model `<name>.keras` go `<name>.history.csv` (Keras's CSVLogger, every epoch of the
run, resumed runs included), `<name>.png` (the curves) and `<name>-backup/` (the state that a
rerun resumes from); TensorBoard logs go where the user says.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass

from .. import storage
from ..errors import NextwordError


def default_backup_dir(output: str) -> str:
    """Where an interrupted run's state is kept: beside the model, `<name>-backup/`."""
    return os.path.splitext(output)[0] + "-backup"


def history_path(output: str) -> str:
    return os.path.splitext(output)[0] + ".history.csv"


def picture_path(output: str) -> str:
    return os.path.splitext(output)[0] + ".png"


def _can_write_in(folder: str) -> str | None:
    """None if a file can be created in folder, else the reason (os.access can say yes wrongly:
    root in /proc, a read-only mount)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".nextword-probe-", dir=folder)
    except OSError as error:
        return error.strerror or str(error)
    os.close(handle)
    os.remove(probe)
    return None


def check_folder(folder: str, option: str) -> None:
    """Fail unless folder exists and takes files, or can be created (nothing is created)."""
    existing = os.path.abspath(folder)
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = "" if existing == os.path.abspath(folder) else f"cannot create folder {folder}: "
        raise NextwordError(f"{what}{existing} is a file, not a folder; choose another {option}")
    reason = _can_write_in(existing)
    if reason:
        what = "write in" if existing == os.path.abspath(folder) else "create"
        raise NextwordError(f"cannot {what} folder {folder} ({reason}); choose another {option}")


def check_file(path: str) -> None:
    """Fail if path is a folder or an existing file that cannot be replaced."""
    if os.path.isdir(path):
        raise NextwordError(f"{path} is a folder; move it away or choose another --output")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise NextwordError(f"{path} is not writable; choose another --output")


@dataclass
class RunPaths:
    """Every path a training run writes."""

    model: str
    backup: str | None  # None: a worker that keeps its backup in scratch space
    history: str | None  # None: a worker, which writes no files beside the model
    picture: str | None
    tensorboard: str | None

    @classmethod
    def plan(cls, output: str, backup_dir: str | None = None, plot: bool = True,
             tensorboard: str | None = None, chief: bool = True) -> "RunPaths":
        return cls(model=output,
                   backup=(backup_dir or default_backup_dir(output)) if chief else None,
                   history=history_path(output) if chief else None,
                   picture=picture_path(output) if chief and plot else None,
                   tensorboard=tensorboard)

    def check(self) -> "RunPaths":
        """Raise NextwordError naming the first path that cannot be written, and why."""
        storage.check_writable(self.model)
        storage.check_not_followed(self.model)  # a server's model is not replaced under it
        reason = _can_write_in(os.path.dirname(os.path.abspath(self.model)))
        if reason:
            raise NextwordError(f"cannot write {self.model} ({reason}); choose another "
                                "--output")
        if self.backup:
            check_folder(self.backup, "--backup-dir")
        for path in (self.history, self.picture):
            if path:
                check_file(path)
        if self.tensorboard:
            check_folder(self.tensorboard, "--tensorboard folder")
        return self


def read_history(path: str) -> dict:
    """The CSVLogger file as {column: [float per epoch]}, without the epoch column."""
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        return {}
    history: dict = {}
    for row in rows:
        for key, value in row.items():
            if key != "epoch" and key is not None:
                history.setdefault(key, []).append(_number(value))
    return history


def _number(value: str) -> float:
    try:  # CSVLogger writes a 1-element vector (multi-worker logs) as "[x]"
        return float(value.strip('[]" '))
    except (ValueError, AttributeError):
        return float("nan")


def trim_history(path: str, epochs: int) -> None:
    """Keep the header and the first `epochs` epochs of a CSV log (0: remove it), so that a
    run resumed after `epochs` epochs appends to exactly what its backup holds."""
    if not os.path.exists(path):
        return
    if not epochs:
        os.remove(path)
        return
    with open(path, newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if _epoch(line) < epochs]
    if kept != lines:
        with open(path, "w", newline="") as handle:
            handle.writelines(kept)


def _epoch(line: str) -> int:
    try:
        return int(line.split(",", 1)[0])
    except ValueError:
        return 1 << 62  # a torn last line: dropped
