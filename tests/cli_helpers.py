"""Helpers shared by the tests: running the CLI in-process, checking its one-line errors,
editing model files."""

from click.testing import CliRunner

from nextword.cli.main import main


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def assert_one_line_error(result, message):
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output


def edit_keras_config(source, target, edit):
    """Copy the .keras file source to target with edit(config) applied to its config.json
    (the model's architecture), the rest byte for byte: a file as another writer made it."""
    import json
    import zipfile

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for entry in original.infolist():
            data = original.read(entry.filename)
            if entry.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config)
            copy.writestr(entry, data)
