"""`nextword serve`: the HTTP API and its page."""

from __future__ import annotations

import click

from .options import CONTEXT, model_option


@click.command(context_settings=CONTEXT)
@model_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets anyone on the network use the server.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Let web pages from ORIGIN (e.g. http://localhost:3000) call the API; "
                   "repeat for several. Cross-origin requests are refused otherwise.")
@click.option("--cache", "cache_size", type=click.IntRange(min=0), default=256,
              show_default=True,
              help="Texts whose model state is kept, so that the next keystroke or word costs "
                   "one step instead of re-reading the text (0: none; about 4 bytes per "
                   "vocabulary word each).")
@click.option("--learn", "learn_lines", is_flag=True,
              help="Learn each line users finish (POST /v1/learn; the page sends a line when "
                   "Enter is pressed) and save the model every few seconds and on exit.")
def serve(model_path, host, port, cors_origins, cache_size, learn_lines):
    """Serve the model over HTTP: a JSON API and a page that suggests words as you type.

    The model is loaded once; the API is POST /v1/complete, /v1/predict, /v1/generate,
    GET /v1/model and /healthz, described at /docs. Ctrl-C stops the server.

    \b
    Examples:
      nextword serve
      nextword serve -m models/notes.keras --port 8080
      curl -s localhost:8000/v1/complete -d '{"text": "and the lo"}'
    """
    from ..engine.predictor import Predictor
    from ..serve.app import serve as run_server

    predictor = Predictor.load(model_path, cache_size=cache_size)
    learner = None
    if learn_lines:
        from ..engine.online import OnlineLearner
        from ..storage import check_writable

        check_writable(model_path)
        learner = OnlineLearner(predictor, log=lambda line: click.echo(line, err=True))

    def ready(url):
        click.echo(f"nextword is serving {model_path} at {url} (Ctrl-C stops it)", err=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"warning: listening on {host}: anyone who can reach this machine can "
                       f"use the server at {url}", err=True)

    run_server(predictor, host, port, cors_origins, ready=ready, learner=learner)
