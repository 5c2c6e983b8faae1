"""Model files: one .keras archive holding the network, its vocabulary and nextword's metadata.

Keras writes the network (its StringLookup layer carries the vocabulary); nextword adds one
entry, `nextword.json`, with the format version, the training Config and training results.
Files are written to a temporary name in the same folder and renamed into place, so a crash
during saving never leaves a broken model where a good one was.

Model formats (nextword.json's "format_version"); every reader reads them all:
- 1: files written until 2026-12-07. Within it, older files may key the n-gram layer's
  contexts by packed ids (its Keras config then has no "key_layout"; engine/archive.py
  converts them), mix with a (buckets,) linear mixture or a (buckets, 6) log-linear one with
  one lower order (no "lower_orders" in the config; ngram/loglinear.py), key the user layer's
  contexts by packed ids (no "chained" entry; engine/userlayer.py), lack the n-gram counts
  entry, or lack the Config's "tokenizer" (words).
- 2: one layout: chained context keys, the lower orders named, the tokenizer saved.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import zipfile

from .errors import NextwordError

FORMAT_VERSION = 2  # what this nextword writes; it reads every format up to it
META_ENTRY = "nextword.json"
TEMPORARY = ".nextword-"  # a model being written: renamed over the model when complete
COUNTS_ENTRY = "nextword-counts.npz"  # the n-gram counts training made (counts.py)
USER_ENTRY = "nextword-user.npz"  # what `nextword learn` added (userlayer.py)
FORMS_ENTRY = "nextword-forms.json"  # how the words are written (text/casing.py)


def check_writable(path: str) -> None:
    """Fail early (before any training) when path cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not path.endswith(".keras"):
        raise NextwordError(f"model path {path} must end in .keras")
    if os.path.isdir(path):
        raise NextwordError(f"model path {path} is a folder; give a file name ending in .keras")
    if not os.path.isdir(folder):
        raise NextwordError(f"folder {folder} does not exist; create it or choose another "
                            "--output")
    if not os.access(folder, os.W_OK):
        raise NextwordError(f"folder {folder} is not writable; choose another --output")


def _write_atomically(path: str, write) -> None:
    """Call write(temporary) for a temporary file beside path, fsync it, rename it over path.

    A crash at any point leaves the previous file at path untouched.
    """
    check_writable(path)
    folder = os.path.dirname(os.path.abspath(path))
    _remove_stale_temporaries(folder)
    owner = f"{TEMPORARY}{socket.gethostname()}-{os.getpid()}-"
    handle, temporary = tempfile.mkstemp(prefix=owner, suffix=".keras", dir=folder)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; a model is an ordinary file
    try:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except OSError as error:
        raise NextwordError(f"could not save the model to {path}: {error.strerror or error}; "
                            "the previous file there is unchanged") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _remove_stale_temporaries(folder: str) -> None:
    """Remove the temporary files of saves killed midway (kill -9, power loss) in folder.

    Each names its writer, `.nextword-HOST-PID-*.keras`; only those of this host whose
    process has ended are removed, never another save in progress.
    """
    for name in os.listdir(folder):
        if not (name.startswith(TEMPORARY) and name.endswith(".keras")):
            continue
        try:
            host, pid, _ = name[len(TEMPORARY):].rsplit("-", 2)
            if owner_ended(host, int(pid)):
                os.remove(os.path.join(folder, name))
        except (ValueError, OSError):
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive, and not ours to judge
        return True
    return True


def owner_ended(host: str, pid: int) -> bool:
    """True when the process that wrote a file naming (host, pid) ran on this host and has
    ended: its leftovers can go. Another host's (a shared folder) are never judged."""
    return host == socket.gethostname() and not _alive(pid)


def _meta_bytes(meta: dict) -> str:
    return json.dumps(dict(meta, format_version=FORMAT_VERSION), indent=1, ensure_ascii=False)


def save(model, meta: dict, path: str, extra: dict | None = None) -> None:
    """Write a Keras model and nextword's metadata to path atomically.

    extra: more archive entries, name -> bytes (n-gram counts); Keras ignores them.
    """
    def write(temporary):
        model.save(temporary)
        with zipfile.ZipFile(temporary, "a") as archive:
            archive.writestr(META_ENTRY, _meta_bytes(meta))
            for name, data in (extra or {}).items():
                if data is not None:
                    archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)

    _write_atomically(path, write)


def rewrite_meta(source: str, meta: dict, path: str, extra: dict | None = None) -> None:
    """Write source's archive to path with new metadata, without TensorFlow, atomically.

    extra: entries to add or replace, name -> bytes (None removes the entry). Every other
    entry is copied byte for byte, so Keras loads the result as before.
    """
    extra = extra or {}

    def write(temporary):
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(temporary, "w") as new:
            for entry in old.infolist():
                if entry.filename != META_ENTRY and entry.filename not in extra:
                    new.writestr(entry, old.read(entry.filename))
            new.writestr(META_ENTRY, _meta_bytes(meta))
            for name, data in extra.items():
                if data is not None:  # level 1: a third of the size, 5x faster than level 6
                    new.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED,
                                 compresslevel=1)

    _write_atomically(path, write)


def read_entry(path: str, name: str) -> bytes | None:
    """One archive entry's bytes, or None when the file does not have it."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(name) if name in archive.namelist() else None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise NextwordError(f"could not read {name} from {path}: {error}") from None


def read_meta(path: str) -> dict:
    """Check that path is a nextword model file of a known version and return its metadata."""
    return read_parts(path)[1]


def read_parts(path: str, names=()) -> tuple:
    """(identity, metadata, {name: bytes or None}) of a model file, read through one open
    file, so that every part comes from the same version of a file that other processes
    replace: the identity is that version's (see identity). Checks it is a nextword model
    file of a known format."""
    if not os.path.exists(path):
        raise NextwordError(f"model file {path} does not exist; train one with "
                            "`nextword train CORPUS` or pass -m/--model")
    if os.path.isdir(path):
        raise NextwordError(f"model path {path} is a folder, not a .keras file; pass the "
                            ".keras file inside it with -m/--model")
    try:
        with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
            found = _identity(os.fstat(handle.fileno()))
            listed = set(archive.namelist())
            if META_ENTRY not in listed:
                kind = "a Keras model saved by something else" if "config.json" in listed \
                    else "not a Keras model"
                raise NextwordError(f"{path} is {kind}, not a nextword model; train one with "
                                    "`nextword train CORPUS`")
            meta = json.loads(archive.read(META_ENTRY))
            parts = {name: archive.read(name) if name in listed else None for name in names}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise NextwordError(f"{path} is not a nextword model file (not a valid .keras archive, "
                            "perhaps truncated); train it again") from None
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise NextwordError(f"{path} was written by a newer nextword (model format {version}, "
                            f"this one reads {FORMAT_VERSION}); upgrade nextword")
    return found, meta, parts


# ----- several processes, one file --------------------------------------------------------------
# A model file is read by long-running processes (`serve`, `complete -i --learn`) and rewritten
# by several commands (learn, forget, the online learners' saves, train). Writers take the
# file's lock, PATH.lock, one at a time (filelock: an advisory lock the system drops when its
# process dies, so a killed writer never leaves the file locked). Long-running followers hold a
# shared lock on PATH.serving for their lifetime, so that `train -o PATH` can tell the file is
# in use and refuse to replace it with another network under them.
LOCK_TIMEOUT = 10.0  # seconds a writer waits for another (NEXTWORD_LOCK_TIMEOUT overrides)


def identity(path: str) -> tuple | None:
    """What tells one version of a file from another: (device, inode, size, modification
    time). Every write renames a new file into place, so any write changes it. None: no file."""
    try:
        return _identity(os.stat(path))
    except FileNotFoundError:
        return None


def _identity(status: os.stat_result) -> tuple:
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def lock_timeout() -> float:
    value = os.environ.get("NEXTWORD_LOCK_TIMEOUT")
    try:
        return float(value) if value else LOCK_TIMEOUT
    except ValueError:
        raise NextwordError(f"NEXTWORD_LOCK_TIMEOUT must be a number of seconds, got "
                            f"{value!r}") from None


@contextlib.contextmanager
def writing(path: str):
    """Hold PATH's writer lock: the one writer of the file until the block ends.

    A writer that cannot get it within lock_timeout() raises NextwordError and writes nothing.
    """
    from filelock import FileLock, Timeout

    timeout = lock_timeout()
    lock = FileLock(path + ".lock", timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise NextwordError(f"{path} is being written by another nextword process (its lock "
                            f"{path}.lock was held for {timeout:g} s); nothing was written: "
                            "try again when it has finished") from None
    except OSError as error:
        raise NextwordError(f"could not lock {path}.lock: {error.strerror or error}; check "
                            "that its folder is writable") from None
    try:
        yield
    finally:
        lock.release()


def _followers_lock(path: str):
    from filelock import ReadWriteLock

    return ReadWriteLock(path + ".serving", timeout=0, blocking=False, is_singleton=False)


def follow(path: str):
    """Mark PATH as followed by this process until release() is called on what this returns
    (serve, complete -i --learn), so that train refuses to replace it. Several followers may
    hold it at once; None when the mark cannot be made (a read-only folder: nothing is lost,
    train just cannot tell)."""
    lock = _followers_lock(path)
    try:
        lock.acquire_read()
    except Exception:  # noqa: BLE001  best effort: the mark only guards train -o
        lock.close()
        return None
    return lock


def check_not_followed(path: str) -> None:
    """Raise NextwordError when a running process follows PATH (see follow)."""
    if not os.path.exists(path + ".serving"):
        return
    lock = _followers_lock(path)
    try:
        lock.acquire_write()
    except Exception:  # noqa: BLE001  the filelock Timeout, or the database busy
        raise NextwordError(f"{path} is in use by a running `nextword serve` or `nextword "
                            "complete -i --learn`; stop it first, or write the new model to "
                            "another -o") from None
    else:
        lock.release()
    finally:
        lock.close()
