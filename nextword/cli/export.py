"""`nextword export`: the model in formats other runtimes read."""

from __future__ import annotations

import click

from .options import CONTEXT, model_option


@click.command(context_settings=CONTEXT)
@model_option
@click.option("--format", "export_format", required=True, metavar="FORMAT",
              help="litert (the network as a .tflite step), onnx (the same step as .onnx), "
                   "arpa (the n-gram model as an ARPA file) or vocab (one word per line).")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="The file to write; PATH.json (the sidecar) and, for litert, onnx and "
                   "arpa, STEM.vocab.txt are written beside it.")
@click.option("--quantize", metavar="dynamic", default=None,
              help="With --format litert: store the weights as int8 (dynamic-range "
                   "quantisation), about a quarter of the float32 size.")
def export(model_path, export_format, output, quantize):
    """Write the model in a format other runtimes read: LiteRT, ONNX, ARPA or a word list.

    The network is exported as a one-token step (token id and recurrent state in, next-token
    log-probabilities and new state out); the sidecar PATH.json says how to tokenise, step and
    mix with the n-gram model like nextword. Words learned with `nextword learn` are not
    exported (the base model is).

    \b
    Examples:
      nextword export --format litert -o models/nextword.tflite
      nextword export --format litert --quantize dynamic -o models/nextword-int8.tflite
      nextword export --format arpa -o models/nextword.arpa
    """
    from ..export import check, export as run_export, vocabulary_path

    check(export_format, output, quantize)
    meta = run_export(model_path, export_format, output, quantize)
    written = [output] + ([vocabulary_path(output, export_format)]
                          if export_format != "vocab" else []) + [output + ".json"]
    for path in written:
        click.echo(f"wrote\t{path}")
    if "arpa_ngrams" in meta:
        click.echo("n-grams\t" + ", ".join(f"{count:,} of order {n}"
                                           for n, count in meta["arpa_ngrams"].items()))
