"""Scratch space of a training run (the corpus as token ids, up to 8 bytes a token).

A run's scratch folder, `nextword-*` in the system's temporary folder, is removed when the run
ends; one killed with SIGKILL cannot remove its own, so each folder names its owner (host and
process id) and every run first removes the folders of owners that are gone.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import tempfile

from ..storage import owner_ended

PREFIX = "nextword-"
OWNER = "owner"  # "host pid", written first thing in each scratch folder


def remove_stale(folder: str | None = None) -> list:
    """Remove the scratch folders whose owner process on this host has ended; returns them.

    Folders without an owner file (written by an older nextword, or just being created) and
    folders of other hosts (a shared /tmp) are left alone.
    """
    removed = []
    for path in glob.glob(os.path.join(folder or tempfile.gettempdir(), PREFIX + "*")):
        try:
            with open(os.path.join(path, OWNER)) as handle:
                host, pid = handle.read().split()
            stale = owner_ended(host, int(pid))
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def scratch_folder():
    """A fresh scratch folder owned by this process, removed on exit."""
    remove_stale()
    path = tempfile.mkdtemp(prefix=PREFIX)
    try:
        with open(os.path.join(path, OWNER), "w") as handle:
            handle.write(f"{socket.gethostname()} {os.getpid()}\n")
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
