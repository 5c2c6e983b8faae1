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
                   "Enter is pressed), let them forget words (POST /v1/forget), and save the "
                   "model every few seconds and on exit.")
@click.option("--token", envvar="NEXTWORD_TOKEN", metavar="TOKEN",
              help="Require 'Authorization: Bearer TOKEN' on the routes that change the model "
                   "(/v1/learn, /v1/forget), and on every route with --token-all (environment "
                   "variable NEXTWORD_TOKEN). The page takes it from its address: "
                   "http://HOST:PORT/#token=TOKEN.")
@click.option("--token-all", is_flag=True,
              help="Require the token on every route but the page, its files and /healthz.")
def serve(model_path, host, port, cors_origins, cache_size, learn_lines, token, token_all):
    """Serve the model over HTTP: a JSON API and a page that suggests words as you type.

    The model is loaded once; the API is POST /v1/complete, /v1/predict, /v1/generate,
    /v1/learn, /v1/forget, GET /v1/model and /healthz, described at /docs. The server follows
    its model file: words that `nextword forget` or `learn` write to it reach its answers
    within a second. Ctrl-C stops the server.

    \b
    Examples:
      nextword serve
      nextword serve -m models/notes.keras --port 8080
      NEXTWORD_TOKEN=s3cret nextword serve --learn --host 0.0.0.0
      curl -s localhost:8000/v1/complete -d '{"text": "and the lo"}'
    """
    from ..errors import NextwordError

    loopback = host in ("127.0.0.1", "localhost", "::1")
    if token is not None and not token.strip():
        raise NextwordError("--token must not be empty; give a hard-to-guess string, e.g. "
                            "from `python -c 'import secrets; print(secrets.token_urlsafe())'`")
    if token_all and not token:
        raise NextwordError("--token-all needs a token: give --token TOKEN (or NEXTWORD_TOKEN)")
    if learn_lines and not loopback and not token:
        raise NextwordError(f"--host {host} with --learn would let anyone who can reach this "
                            "machine change the model; give --token TOKEN (or NEXTWORD_TOKEN)")
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
        if not loopback:
            guarded = "every route" if token_all else "what changes the model" if token \
                else "nothing"
            click.echo(f"warning: listening on {host}: anyone who can reach this machine can "
                       f"use the server at {url} (the token guards {guarded})", err=True)

    run_server(predictor, host, port, cors_origins, ready=ready, learner=learner, token=token,
               token_all=token_all, log=lambda line: click.echo(line, err=True))
