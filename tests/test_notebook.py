"""examples/quickstart.ipynb, executed top to bottom by a real Jupyter kernel."""

import os

import pytest

pytestmark = pytest.mark.slow  # a Jupyter kernel trains a model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("NEXTWORD_NOTEBOOK_LINES", "300")
    monkeypatch.setenv("NEXTWORD_NOTEBOOK_EPOCHS", "1")
    monkeypatch.setenv("NEXTWORD_NOTEBOOK_UNITS", "16")
    monkeypatch.setenv("NEXTWORD_ROOT", ROOT)
    monkeypatch.setenv("NEXTWORD_WORK", str(tmp_path))
    notebook = nbformat.read(os.path.join(ROOT, "examples", "quickstart.ipynb"), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = ["".join(output.get("text", "") for output in cell.get("outputs", []))
               for cell in notebook.cells if cell.cell_type == "code"]
    assert "validation perplexity" in outputs[1]
    assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {})
               for o in notebook.cells[5].outputs)  # the training-curve figure
    assert len(outputs[3].strip().splitlines()) == 5
    assert outputs[4].startswith("greedy: ") and "top-p: " in outputs[4]
    assert outputs[5].startswith("[(")
    assert os.path.exists(tmp_path / "quickstart.png")
    assert os.path.exists(tmp_path / "quickstart.history.csv")
