"""The command line through CliRunner, bad inputs, and the installed console script."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from cli_helpers import assert_one_line_error, run


def test_version_and_help():
    assert run("--version").stdout.startswith("nextword, version ")
    for command in ["preprocess", "train", "predict", "complete", "generate", "evaluate", "info",
                    "serve", "forget"]:
        result = run(command, "-h")
        assert result.exit_code == 0 and "Example" in result.stdout


def test_preprocess_reports_and_writes_vocabulary(corpus_file, tmp_path):
    vocab_out = tmp_path / "vocab.txt"
    result = run("preprocess", corpus_file, "--min-count", "2", "--vocab-out", str(vocab_out),
                 "--top", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == ["files\t1", "lines\t40", "tokens\t588"]
    assert lines[5].startswith("coverage\t") and lines[6] == "tokenizer\twords (chosen by auto)"
    assert lines[7] == "sample\tin the beginning god created the heaven and the earth ."
    assert lines[lines.index("most common words:") + 1] == "the\t88"
    assert vocab_out.read_text().splitlines()[:4] == ["<pad>", "<unk>", "<eol>", "the"]


def test_predict_prints_word_tab_probability(trained):
    result = run("predict", "and god", "-m", trained[0], "-k", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    probabilities = [float(line.split("\t")[1]) for line in lines]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < probabilities[0] <= 1


def test_model_from_environment_variable(trained):
    result = run("predict", "and god", env={"NEXTWORD_MODEL": trained[0]})
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 5


def test_predict_interactive_with_piped_stdin(trained):
    result = run("predict", "-i", "-k", "2", "-m", trained[0], input="and god\nthe earth\n")
    assert result.exit_code == 0, result.output
    answers = result.stdout.strip("\n").split("\n\n")
    assert len(answers) == 2 and all(len(a.splitlines()) == 2 for a in answers)


def test_generate_same_seed_same_text(trained):
    first = run("generate", "and god", "-m", trained[0], "--seed", "3", "-n", "12")
    second = run("generate", "and god", "-m", trained[0], "--seed", "3", "-n", "12")
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout and first.stdout.startswith("and god")
    beam = run("generate", "and god", "-m", trained[0], "--strategy", "beam", "--stop-at-eol")
    assert beam.exit_code == 0 and "\n" not in beam.stdout.strip()
    several = run("generate", "and", "-m", trained[0], "--count", "2", "--seed", "1",
                  "--stop-at-eol")
    lines = several.stdout.splitlines()
    assert len(lines) == 3 and lines[1] == "" and lines[0].startswith("and")


def test_evaluate_json_has_documented_keys(trained, corpus_file):
    import json

    result = run("evaluate", corpus_file, "-m", trained[0], "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"tokens", "perplexity", "top1_accuracy", "top5_accuracy",
                           "unknown_rate"}
    assert report["tokens"] == 588 and report["perplexity"] > 1
    alone = json.loads(run("evaluate", corpus_file, "-m", trained[0], "--json",
                           "--network-only").stdout)
    # The tiny corpus repeats itself: the n-gram mixture knows it better than the network.
    assert alone["tokens"] == 588 and alone["perplexity"] > report["perplexity"]


def test_info_lists_documented_fields(trained):
    result = run("info", "-m", trained[0])
    assert result.exit_code == 0, result.output
    fields = [line.split("\t")[0] for line in result.stdout.splitlines()]
    for name in ["cell", "layers", "units", "parameters", "vocabulary size", "sequence length",
                 "corpus files", "training time", "validation perplexity", "n-gram order",
                 "keras version"]:
        assert name in fields


@pytest.mark.parametrize("args, message", [
    (["--top-k", "0"], "--top-k must be at least 1"),
    (["--strategy", "top-p", "--top-p", "1.5"], "--top-p must be in (0, 1]"),
    (["--temperature", "0"], "use --strategy greedy"),
    (["--beams", "0", "--strategy", "beam"], "--beams must be at least 1"),
    (["--words", "0"], "--words must be at least 1"),
])
def test_generate_bad_options(trained, args, message):
    assert_one_line_error(run("generate", "and", "-m", trained[0], *args), message)


def test_prefix_of_unknown_words_still_gets_an_answer(trained):
    """Text the model never saw is input to predict from: five words, one line on stderr."""
    result = run("predict", "zebra quokka", "-m", trained[0])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5
    assert result.stderr.strip() == ("none of the words in 'zebra quokka' are in the model's "
                                     "vocabulary: these follow unknown words")
    assert run("predict", "zebra the", "-m", trained[0]).stderr == ""


def test_missing_model_suggests_training(tmp_path):
    assert_one_line_error(run("predict", "x", "-m", str(tmp_path / "none.keras")),
                          "does not exist; train one with `nextword train CORPUS`")


def test_text_file_and_foreign_keras_model_are_refused(tmp_path, trained):
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    assert_one_line_error(run("predict", "x", "-m", str(text)), "not a nextword model file")
    foreign = tmp_path / "foreign.keras"
    with zipfile.ZipFile(trained[0]) as source, zipfile.ZipFile(foreign, "w") as target:
        for name in source.namelist():
            if name != "nextword.json":
                target.writestr(name, source.read(name))
    assert_one_line_error(run("predict", "x", "-m", str(foreign)),
                          "a Keras model saved by something else, not a nextword model")


def test_truncated_model_is_refused(tmp_path, trained):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(open(trained[0], "rb").read()[:5000])
    assert_one_line_error(run("predict", "x", "-m", str(broken)), "not a nextword model file")


@pytest.mark.parametrize("content, message", [
    (None, "corpus path"),
    (b"", "no words found"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file, not text"),
    ("caf\xe9\n".encode("latin-1"), "line 1 is not utf-8 text"),
])
def test_bad_corpus(tmp_path, content, message):
    corpus = tmp_path / "corpus.txt"
    if content is not None:
        corpus.write_bytes(content)
    output = tmp_path / "model.keras"
    for command in (["preprocess"], ["train", "-o", str(output)]):
        assert_one_line_error(run(*command, str(corpus)), message)
    assert not output.exists()


@pytest.mark.parametrize("args, message", [
    (["--validation-split", "1.5"], "--validation-split must be between 0 and 1"),
    (["--units", "0"], "--units must be at least 1"),
    (["--max-vocab", "3"], "--max-vocab must be at least 4"),
    (["-o", "/nonexistent/folder/m.keras"], "does not exist; create it"),
])
def test_train_bad_options_fail_before_training(corpus_file, args, message):
    assert_one_line_error(run("train", corpus_file, *args), message)


def test_installed_console_script_prints_clean_output(trained):
    script = shutil.which("nextword", path=os.path.dirname(sys.executable)) or "nextword"
    result = subprocess.run([script, "predict", "and god", "-m", trained[0], "-k", "2"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr == ""  # TensorFlow's start-up lines never reach the user
    module = subprocess.run([sys.executable, "-m", "nextword", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert module.returncode == 0 and "nextword, version" in module.stdout


def test_train_writes_where_NEXTWORD_MODEL_points(corpus_file, tmp_path, monkeypatch):
    import nextword.training.pipeline
    from nextword.errors import NextwordError

    def report_output(corpus, config, output, **kwargs):
        raise NextwordError(f"would write {output}")

    monkeypatch.setattr(nextword.training.pipeline, "train", report_output)
    target = str(tmp_path / "from-env.keras")
    assert_one_line_error(run("train", corpus_file, env={"NEXTWORD_MODEL": target}),
                          f"would write {target}")
    assert_one_line_error(run("train", corpus_file, "-o", str(tmp_path / "given.keras"),
                              env={"NEXTWORD_MODEL": target}),
                          f"would write {tmp_path / 'given.keras'}")


@pytest.mark.slow
def test_train_piped_prints_one_plain_line_per_epoch(corpus_file, tmp_path):
    from conftest import TINY

    options = []
    for name, value in dict(TINY, epochs=2, ngram_order=0).items():
        if name != "mixed_precision":  # left unset: float32 without --budget, and saved so
            options += [f"--{name.replace('_', '-')}", str(value)]
    result = run("train", corpus_file, "-o", str(tmp_path / "m.keras"), "--no-plot", *options)
    assert result.exit_code == 0, result.output
    import nextword

    assert nextword.load(str(tmp_path / "m.keras")).config.mixed_precision is False
    epochs = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split(" - ")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert all(" - val_loss " in line and " - val_perplexity " in line for line in epochs)
    for control in ("\r", "\b", "\x1b"):  # no progress bar, no terminal codes
        assert control not in result.output
    assert "validation perplexity\t" in result.stdout


def documented_training_options():
    """{flag: default as written} from docs/training.md's "Training options" table."""
    import re

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "training.md"), encoding="utf-8") as handle:
        text = handle.read()
    table = text.split("## Training options", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        option, default, _ = line.strip("|").split(" | ", 2)
        flags = re.findall(r"`([^`]+)`", option)
        defaults = default.split(", ") if len(flags) > 1 else [default]
        assert len(flags) == len(defaults), line
        rows.update(zip(flags, (d.strip("` ") for d in defaults)))
    return rows


def test_training_options_table_matches_config():
    from nextword.cli.train import train
    from nextword.config import Config

    table = documented_training_options()
    params = {}
    for param in train.params:
        for flag in param.opts + param.secondary_opts:
            params[flag] = param
    for flags, written in table.items():
        param = params[flags.split("/")[-1]]  # "-o/--output", "--lowercase/--keep-case"
        if written == "none" or written == "auto" and param.is_flag:  # off unless given; an
            assert param.default is None, (flags, written)  # on/off pair the run chooses
        elif param.is_flag and param.secondary_opts:  # an on/off pair: the one in effect
            default = (param.opts if param.default else param.secondary_opts)[0]
            assert written.lstrip("-") == default.lstrip("-"), (flags, written)
        elif isinstance(param.default, (int, float)):
            assert float(written.replace(",", "")) == param.default, (flags, written)
        else:
            assert written == param.default, (flags, written)
    documented = {params[flags.split("/")[-1]].name for flags in table}
    assert {field.name for field in Config.options()} <= documented
