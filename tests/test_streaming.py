"""Streaming: big inputs are read in bounded memory; the faster training path agrees."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # 20 MB scans in subprocesses, two trainings

MEASURE = """
import json, resource, sys
from nextword.text.scan import scan_corpus
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scan = scan_corpus([sys.argv[1]], ids_path=sys.argv[2], workers=int(sys.argv[3]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tokens": scan.tokens, "lines": scan.lines, "growth_mb": (after - before) / 1024}))
"""


def scan_in_subprocess(path, ids_path, workers=1):
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(ids_path),
                             str(workers)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_huge_line_is_scanned_in_bounded_memory(tmp_path):
    path = tmp_path / "one-line.txt"
    words = ("alpha beta gamma delta epsilon zeta eta theta iota kappa " * 100).encode()
    with open(path, "wb") as handle:
        for _ in range(20 * 2**20 // len(words)):  # about 20 MB without a single newline
            handle.write(words)
    report = scan_in_subprocess(path, tmp_path / "ids")
    assert report["lines"] == 1 and report["tokens"] > 3_000_000
    # Holding the text whole would take over 20 MB, its 3.4 million token strings over 150 MB.
    assert report["growth_mb"] < 60, report


def test_folder_of_many_files_is_scanned_in_bounded_memory(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    line = "and the lord spake unto moses , saying .\n" * 2000
    for index in range(300):
        (folder / f"part{index:03d}.txt").write_text(line)
    report = scan_in_subprocess(folder, tmp_path / "ids", workers=2)
    assert report["lines"] == 300 * 2000 and report["tokens"] == 300 * 2000 * 10
    assert report["growth_mb"] < 60, report


def test_sampled_softmax_reaches_the_full_softmax_validation_loss(corpus_file, tmp_path):
    """Same tiny model and data: the sampled-softmax path within 10% of the full softmax."""
    from nextword import Config
    from nextword.training.pipeline import train

    options = dict(cell="lstm", units=32, embedding_dim=16, sequence_length=8, batch_size=4,
                   epochs=6,
                   learning_rate=0.01, min_count=1, validation_split=0.2, dropout=0.0,
                   max_minutes=0, seed=3)
    losses = {}
    for sampled in (0, 24):  # 24 of the tiny vocabulary's 50 words; measured 5% apart
        result = train([corpus_file], Config(sampled_softmax=sampled, **options),
                       str(tmp_path / f"m{sampled}.keras"), verbose=0, log=lambda line: None)
        losses[sampled] = result.validation_perplexity
    assert losses[24] == pytest.approx(losses[0], rel=0.10), losses
