"""Crash-safe training: a run killed with SIGKILL resumes from its backup and matches."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import run
from conftest import TINY, interrupt_after

import nextword
from nextword import Config

pytestmark = pytest.mark.slow  # every test trains, some in subprocesses

OPTIONS = ["--units", "16", "--embedding-dim", "8", "--sequence-length", "8", "--batch-size", "4",
           "--epochs", "6", "--min-count", "1", "--validation-split", "0.2", "--dropout", "0",
           "--learning-rate", "0.003", "--patience", "10", "--max-minutes", "0", "-q"]


def left_in(scratch) -> list:
    """What a temporary folder holds besides TensorFlow's own leftovers: autograph writes
    __autograph_generated_file*.py there and deletes them only at a clean exit."""
    return [n for n in os.listdir(scratch) if not n.startswith("__autograph_generated_file")]


def train_command(corpus, output):
    return [sys.executable, "-m", "nextword", "train", corpus, "-o", output, *OPTIONS]


def test_killed_training_resumes_and_matches_uninterrupted_run(corpus_file, tmp_path):
    import nextword

    straight = str(tmp_path / "straight.keras")
    subprocess.run(train_command(corpus_file, straight), check=True, capture_output=True,
                   timeout=300)

    resumed = str(tmp_path / "resumed.keras")
    metadata = tmp_path / "resumed-backup" / "training_metadata.json"
    scratch = tmp_path / "tmp"  # the runs' temporary folder
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    process = subprocess.Popen(train_command(corpus_file, resumed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 240
    while not metadata.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert metadata.exists(), "the run ended before its first backup"
    epochs_done = json.loads(metadata.read_text())["epoch"]
    assert 1 <= epochs_done < 6
    assert not os.path.exists(resumed)  # never a half-written model
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".nextword-")]
    assert [n for n in os.listdir(scratch) if n.startswith("nextword-")]  # the killed run's

    again = subprocess.run(train_command(corpus_file, resumed), capture_output=True, text=True,
                           timeout=300, env=env)
    assert again.returncode == 0, again.stderr
    assert left_in(scratch) == []  # the killed run's scratch removed by the next run
    assert f"resuming from {tmp_path / 'resumed-backup'} after epoch" in again.stderr
    assert not (tmp_path / "resumed-backup").exists()  # removed once training finished

    one, two = nextword.load(straight), nextword.load(resumed)
    for prefix in ["and god", "the earth was"]:
        np.testing.assert_allclose(one.distribution(prefix), two.distribution(prefix),
                                   atol=1e-4)



def tiny_config(**changes):
    return Config(**dict(TINY, patience=10, **changes))


def test_garbage_backup_is_reported_in_one_line_and_training_starts_over(corpus_file, tmp_path):
    from nextword.training.backup import Backup

    # What a kill -9 during a write of Keras's own BackupAndRestore left: the folder of the
    # same command, its weights file cut short.
    folder = tmp_path / "model-backup"
    folder.mkdir()
    config = Config(units=16, embedding_dim=8, sequence_length=8, batch_size=4, epochs=6,
                    min_count=1, validation_split=0.2, dropout=0.0, learning_rate=0.003,
                    patience=10, max_minutes=0.0, tokenizer="words",
                    mixed_precision=False)  # OPTIONS, resolved
    (folder / "nextword-config.json").write_text(json.dumps(Backup._comparable(config.to_dict())))
    (folder / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    (folder / "latest.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 500)
    output = tmp_path / "model.keras"
    result = run("train", corpus_file, "-o", str(output), *OPTIONS)
    assert result.exit_code == 0, result.output
    damaged = [line for line in result.stderr.splitlines() if " is damaged " in line]
    assert len(damaged) == 1, result.stderr
    assert damaged[0].startswith(f"backup {folder} is damaged (latest.weights.h5: ")
    assert damaged[0].endswith("); starting from the start")
    assert "resuming" not in result.stderr and "Traceback" not in result.output
    assert nextword.load(str(output)).training["epochs"] == 6  # all of them, from the first
    assert not folder.exists()


def test_damaged_latest_backup_falls_back_to_the_one_before(corpus_file, tmp_path):
    from nextword.training.pipeline import train

    output = str(tmp_path / "model.keras")
    stopped = train([corpus_file], tiny_config(), output, verbose=0, log=lambda line: None,
                    extra_callbacks=[interrupt_after(3)])
    assert stopped.interrupted
    folder = tmp_path / "model-backup"
    metadata = json.loads((folder / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["previous"]["epoch"]) == (3, 2)
    latest = folder / metadata["weights"]
    latest.write_bytes(latest.read_bytes()[:latest.stat().st_size // 2])  # cut short

    lines = []
    resumed = train([corpus_file], tiny_config(), output, verbose=0, log=lines.append)
    damaged = [line for line in lines if " is damaged " in line]
    assert len(damaged) == 1, lines
    assert damaged[0].startswith(f"backup {folder} is damaged ({metadata['weights']}: ")
    assert damaged[0].endswith("); starting from the last good backup, after epoch 2")
    assert f"resuming from {folder} after epoch 2" in lines
    assert resumed.epochs == 6 and not resumed.interrupted
    with open(tmp_path / "model.history.csv") as handle:
        epochs = [row.split(",")[0] for row in handle.read().splitlines()[1:]]
    assert epochs == ["0", "1", "2", "3", "4", "5"]  # epoch 2 redone, not logged twice


def test_resumed_run_counts_the_time_its_backup_had_spent(corpus_file, tmp_path):
    from nextword.training.pipeline import train

    output = str(tmp_path / "model.keras")
    stopped = train([corpus_file], tiny_config(max_minutes=60.0), output, verbose=0,
                    log=lambda line: None, extra_callbacks=[interrupt_after(3)])
    assert stopped.interrupted
    path = tmp_path / "model-backup" / "training_metadata.json"
    metadata = json.loads(path.read_text())
    assert 0 < metadata["fit_seconds"] <= metadata["seconds"] < 600
    assert metadata["previous"]["seconds"] < metadata["seconds"]
    # As if those three epochs had taken the whole hour and a minute more: the resumed run is
    # past its limit (not given a fresh hour), and its annealed rate is at the end, zero.
    metadata.update(seconds=3660.0, fit_seconds=3650.0)
    path.write_text(json.dumps(metadata))
    lines = []
    resumed = train([corpus_file], tiny_config(max_minutes=60.0), output, verbose=0,
                    log=lines.append)
    assert f"resuming from {tmp_path / 'model-backup'} after epoch 3 (61.0 of its 60 minutes " \
           "spent)" in lines
    assert resumed.epochs == 4  # the fourth cut after its first step, not three more
    assert resumed.history["learning_rate"][-1] == 0.0
    assert resumed.training_seconds >= 3660  # the run's, not this command's alone


def test_continued_training_killed_at_any_moment_resumes_or_starts_over(corpus_file,
                                                                        tmp_path):
    """`train NEW --from BASE` killed with SIGKILL at several moments (reading the base,
    building, training, between epochs, saving): running the same command again finishes,
    the base is untouched, and no half-written model or temporary file is left."""
    import hashlib

    base = str(tmp_path / "base.keras")
    subprocess.run(train_command(corpus_file, base), check=True, capture_output=True,
                   timeout=300)
    new = tmp_path / "new.txt"
    new.write_text("the quokka jumped over the wombat .\nand god saw the quokka .\n" * 30)
    digest = hashlib.sha256(open(base, "rb").read()).hexdigest()
    output = str(tmp_path / "continued.keras")
    command = [sys.executable, "-m", "nextword", "train", str(new), "--from", base, "-o",
               output, "--epochs", "6", "--max-minutes", "0", "-q"]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    moments = [0.5, 2.0, 3.5, 5.0, 6.5, 8.0]  # seconds after the start: import .. saving
    states = []
    for moment in moments:
        if os.path.exists(output):
            os.remove(output)  # each kill lands in a run that has the model still to write
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=env)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait()
        backup = tmp_path / "continued-backup"
        states.append("finished" if os.path.exists(output) else
                      "backed up" if backup.exists() and any(backup.iterdir()) else "started")
        if os.path.exists(output):  # complete, never half-written
            assert nextword.load(output).predict("the", 1)
        assert not [n for n in os.listdir(tmp_path) if n.startswith(".nextword-")]
        again = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
        assert again.returncode == 0, again.stderr[-2000:]
        assert nextword.load(output).vocabulary.index.get("quokka") is not None
        assert hashlib.sha256(open(base, "rb").read()).hexdigest() == digest
        assert not [n for n in os.listdir(tmp_path) if n.startswith(".nextword-")]
        assert left_in(scratch) == []  # the killed run's scratch folder was removed
        assert not (tmp_path / "continued-backup").exists()
    print("\ntrain --from killed:", states)
    assert "backed up" in states  # at least one kill landed between epochs
