"""Nothing is lost: atomic model replacement, a full disk, and Ctrl-C during training."""

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

SAVE_LOOP = """
import sys, nextword
from nextword import storage
predictor = nextword.load(sys.argv[1])
print("ready", flush=True)
while True:
    storage.save(predictor.model, predictor.meta, sys.argv[2])
"""


@pytest.mark.slow
def test_kill_during_save_leaves_previous_model_loadable(trained, tmp_path):
    import shutil

    import nextword

    target = tmp_path / "model.keras"
    shutil.copy(trained[0], target)
    process = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, trained[0], str(target)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    for delay in (0.05, 0.13, 0.29):  # kill it at several moments of its save loop
        time.sleep(delay)
        nextword.load(str(target)).predict("and god")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert nextword.load(str(target)).predict("and god")


def test_disk_full_during_save_keeps_previous_model(trained, tmp_path, monkeypatch):
    import shutil

    import nextword
    from nextword import storage
    from nextword.errors import NextwordError

    target = tmp_path / "model.keras"
    shutil.copy(trained[0], target)
    before = target.read_bytes()
    predictor = nextword.load(str(target))

    def full_disk(self, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(type(predictor.model), "save", full_disk)
    with pytest.raises(NextwordError, match="No space left on device; the previous file "
                                            "there is unchanged"):
        storage.save(predictor.model, predictor.meta, str(target))
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.keras"]


@pytest.mark.slow
def test_ctrl_c_keeps_best_model_and_says_how_to_resume(corpus_file, tmp_path):
    import nextword

    output = tmp_path / "interrupted.keras"
    command = [sys.executable, "-m", "nextword", "train", corpus_file, "-o", str(output),
               "--units", "16", "--embedding-dim", "8", "--sequence-length", "8",
               "--batch-size", "2", "--epochs", "200", "--min-count", "1",
               "--validation-split", "0.2", "--max-minutes", "0", "--patience", "300", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    history = tmp_path / "interrupted.history.csv"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if history.exists() and len(history.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "training was interrupted; the best model so far was saved" in stderr
    assert "Run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    assert nextword.load(str(output)).predict("and god")
    assert (tmp_path / "interrupted-backup").is_dir()  # what the resume will start from


@pytest.mark.slow
def test_interrupted_and_resumed_runs_count_and_plot_every_epoch(corpus_file, tmp_path):
    from conftest import TINY, interrupt_after

    import nextword
    from nextword import Config
    from nextword.training.pipeline import train

    output = str(tmp_path / "model.keras")
    picture = tmp_path / "model.png"
    stopped = train([corpus_file], Config(**dict(TINY, patience=10)), output, verbose=0,
                    log=lambda line: None, extra_callbacks=[interrupt_after(2)])
    assert stopped.interrupted and stopped.epochs == 2
    assert len(stopped.history["val_loss"]) == 2 and picture.exists()
    assert nextword.load(output).training["epochs"] == 2  # what `info` shows
    picture.unlink()

    resumed = train([corpus_file], Config(**dict(TINY, patience=10)), output, verbose=0,
                    log=lambda line: None)
    assert resumed.epochs == 6 and len(resumed.history["val_loss"]) == 6
    assert resumed.history["val_loss"][:2] == stopped.history["val_loss"]
    assert nextword.load(output).training["epochs"] == 6 and picture.exists()


def test_scratch_folders_of_dead_runs_are_removed(tmp_path, monkeypatch):
    import socket
    import tempfile

    from nextword.training import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    host = socket.gethostname()
    owners = {"dead": f"{host} {ended.stdout.strip()}", "alive": f"{host} {os.getpid()}",
              "elsewhere": f"another-{host} {ended.stdout.strip()}", "unowned": None}
    for name, owner in owners.items():
        (tmp_path / f"nextword-{name}").mkdir()
        if owner:
            (tmp_path / f"nextword-{name}" / "owner").write_text(owner + "\n")
        (tmp_path / f"nextword-{name}" / "vocab.ids").write_bytes(b"\0" * 64)
    with scratch.scratch_folder() as folder:
        assert (tmp_path / "nextword-dead").exists() is False
        assert {"nextword-alive", "nextword-elsewhere", "nextword-unowned"} < set(
            os.listdir(tmp_path))
        assert open(os.path.join(folder, "owner")).read() == f"{host} {os.getpid()}\n"
    assert not os.path.exists(folder)
