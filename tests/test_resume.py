"""Crash-safe training: a run killed with SIGKILL resumes from its backup and matches."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

OPTIONS = ["--units", "16", "--embedding-dim", "8", "--sequence-length", "8", "--batch-size", "4",
           "--epochs", "6", "--min-count", "1", "--validation-split", "0.2", "--dropout", "0",
           "--learning-rate", "0.003", "--patience", "10", "--max-minutes", "0", "-q"]


def train_command(corpus, output):
    return [sys.executable, "-m", "nextword", "train", corpus, "-o", output, *OPTIONS]


def test_killed_training_resumes_and_matches_uninterrupted_run(corpus_file, tmp_path):
    import nextword

    straight = str(tmp_path / "straight.keras")
    subprocess.run(train_command(corpus_file, straight), check=True, capture_output=True,
                   timeout=300)

    resumed = str(tmp_path / "resumed.keras")
    metadata = tmp_path / "resumed-backup" / "training_metadata.json"
    process = subprocess.Popen(train_command(corpus_file, resumed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
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

    again = subprocess.run(train_command(corpus_file, resumed), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"resuming from {tmp_path / 'resumed-backup'} after epoch" in again.stderr
    assert not (tmp_path / "resumed-backup").exists()  # removed once training finished

    one, two = nextword.load(straight), nextword.load(resumed)
    for prefix in ["and god", "the earth was"]:
        np.testing.assert_allclose(one.distribution(prefix), two.distribution(prefix),
                                   atol=1e-4)
