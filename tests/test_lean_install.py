"""`pip install .` alone installs the engine and its commands, without TensorFlow or Keras.

A fresh virtual environment gets the package from a copy of this checkout with plain
`pip install` (its dependencies from pip's cache or the registry, never TensorFlow); then
predict, complete and serve answer from the committed fixture model, and train says in one
line what to install.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "tiny-v1.keras")


@pytest.fixture
def model(tmp_path):
    """A copy of the fixture model: a server marks the file it follows (MODEL.serving)."""
    path = tmp_path / "m.keras"
    shutil.copy(FIXTURE, path)
    return str(path)


@pytest.fixture(scope="module")
def lean(tmp_path_factory):
    """(the lean environment's bin folder, its size in bytes)."""
    work = tmp_path_factory.mktemp("lean")
    source = work / "source"
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split("\n")
    for name in filter(None, listed):  # a copy of the checkout's files, no build leftovers
        if os.path.isfile(os.path.join(ROOT, name)) and not name.startswith(("tests/", "docs/")):
            os.makedirs(source / os.path.dirname(name), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), source / name)
    environment = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    install = subprocess.run([str(environment / "bin" / "python"), "-m", "pip", "install",
                              "--quiet", str(source)], capture_output=True, text=True,
                             timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    size = sum(os.path.getsize(os.path.join(folder, name))
               for folder, _, names in os.walk(environment) for name in names
               if not os.path.islink(os.path.join(folder, name)))
    return environment / "bin", size


def run(bin_folder, *args, **options):
    return subprocess.run([str(bin_folder / "nextword"), *args], capture_output=True,
                          text=True, timeout=120, **options)


@pytest.mark.slow
def test_the_lean_install_has_no_tensorflow(lean):
    bin_folder, size = lean
    listed = subprocess.run([str(bin_folder / "python"), "-m", "pip", "list", "--format",
                             "json"], capture_output=True, text=True, check=True).stdout
    names = {package["name"].lower() for package in json.loads(listed)}
    assert "nextword" in names
    assert not names & {"tensorflow", "tensorflow-cpu", "keras", "tf-keras", "matplotlib"}
    print(f"lean environment: {size / 2 ** 20:.0f} MB of files")


@pytest.mark.slow
def test_predict_and_complete_answer_without_tensorflow(lean, model):
    bin_folder, _ = lean
    predicted = run(bin_folder, "predict", "and the lord", "-m", model, "-k", "3")
    assert predicted.returncode == 0, predicted.stderr
    assert len(predicted.stdout.strip().splitlines()) == 3
    assert predicted.stderr == ""
    completed = run(bin_folder, "complete", "and the lo", "-m", model)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0].startswith("lord\t")


@pytest.mark.slow
def test_serve_answers_without_tensorflow(lean, model):
    bin_folder, _ = lean
    server = subprocess.Popen([str(bin_folder / "nextword"), "serve", "-m", model, "--port",
                               "0"], stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        assert " at http://" in line, line
        url = line.split(" at ")[1].split(" ")[0].rstrip("/")
        request = urllib.request.Request(url + "/v1/complete", method="POST",
                                         data=json.dumps({"text": "and the lo"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = json.loads(answer.read())
        assert body["suggestions"][0]["word"] == "lord"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0


@pytest.mark.slow
def test_train_says_in_one_line_what_to_install(lean, tmp_path):
    bin_folder, _ = lean
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("in the beginning god created the heaven and the earth .\n" * 50)
    result = run(bin_folder, "train", str(corpus), "-o", str(tmp_path / "m.keras"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "pip install 'nextword[train]'" in lines[0]
    assert not (tmp_path / "m.keras").exists()
