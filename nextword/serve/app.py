"""`nextword serve`: an HTTP API and a web page over a loaded model, on FastAPI and uvicorn.

`create_app(predictor)` builds the ASGI app from a loaded Predictor: no module globals, so a
test builds one per model and calls it through FastAPI's in-process client. Request and answer
shapes are declared pydantic models with limits, so a bad request is a 4xx answer with one
sentence, written before any model code runs. The generation request is built from
GenerationConfig's fields: the same defaults and checks as `nextword generate`.

Every request computes from the immutable model and its own local state (predict, complete
and generate keep their recurrent state in local variables), so concurrent requests never see
each other's history. The model's numpy work runs on the event loop: a request costs about a
millisecond, less than handing it to a thread would add.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from importlib import resources
from typing import Annotated, Literal, Optional
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from starlette.exceptions import HTTPException
from starlette.routing import Route

from .._version import __version__
from ..engine import learning, suggestions
from ..engine.generation import GenerationConfig
from ..engine.sampling import STRATEGIES
from ..errors import NextwordError

MAX_TEXT = 10_000  # characters of text or prefix in a request
MAX_K = 1000  # suggestions in one answer
MAX_WORDS = 1000  # words generated for one request
MAX_BODY = 64 * 1024  # bytes of a request body
WEB = resources.files("nextword.serve") / "web"
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CompleteRequest(Strict):
    text: str = Field(max_length=MAX_TEXT, description="What has been typed so far.")
    k: int = Field(5, ge=1, le=MAX_K, description="How many suggestions.")
    correct: bool = Field(True, description="Also offer corrections of a typo (false: none).")
    phrases: bool = Field(False, description="Also offer a phrase of several words (kind "
                                             "phrase, after the k words) when the model is "
                                             "sure enough of one.")
    passed: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=100,
        description="The words shown since the word being typed began, which the typist "
                    "passed over: not shown again for it (the page sends them).")


class PredictRequest(Strict):
    prefix: str = Field(max_length=MAX_TEXT, description="The words before the next one.")
    k: int = Field(5, ge=1, le=MAX_K, description="How many suggestions.")


class LearnRequest(Strict):
    text: str = Field(max_length=MAX_TEXT, description="A line the user finished typing.")


class Learned(BaseModel):
    lines: int
    tokens: int
    new_words: int


class ForgetRequest(Strict):
    words: list[str] = Field(min_length=1, max_length=100,
                             description="Words never to suggest again (or again, with undo).")
    undo: bool = Field(False, description="Unblock the words instead: suggest them again.")


class Forgotten(BaseModel):
    changed: list[str] = Field(description="The words newly blocked (or unblocked).")
    unknown: list[str] = Field(description="The words that are not one word of the model's "
                                           "vocabulary: never suggested, nothing to do.")
    blocked: int = Field(description="How many words are blocked in all.")


class Error(BaseModel):
    error: str = Field(description="One sentence: what is wrong and what to do.")


class Suggestion(BaseModel):
    word: str = Field(description="The word as it is to be written (case included).")
    probability: float
    kind: Literal["next", "completion", "correction", "phrase"] = Field(
        "next", description="next: a next word; completion: a word that begins with the "
                            "word being typed; correction: what a typo may have meant; "
                            "phrase: the likeliest next few words.")
    replace: int = Field(0, description="How many characters at the end of the text the word "
                                        "replaces (the typed part; a finished word and the "
                                        "space after it for its correction).")
    autocorrect: bool = Field(False, description="A correction the engine is confident in: "
                                                 "a keyboard applies it on space.")


class Suggestions(BaseModel):
    suggestions: list[Suggestion]


class Completion(Suggestions):
    mode: Literal["completion", "next"] = Field(
        description="completion: words that begin with the word being typed; next: next words.")
    replace: int = Field(description="How many characters at the end of the text a chosen "
                                     "suggestion replaces (the typed part; 0 for next words).")


class Generated(BaseModel):
    text: str


def _generate_request_model():
    """GenerateRequest: a prefix and every GenerationConfig field, with the CLI's defaults."""
    limits = {"words": dict(ge=1, le=MAX_WORDS), "top_k": dict(ge=1, le=MAX_K),
              "beams": dict(ge=1, le=64), "no_repeat_ngram": dict(ge=0, le=64),
              "temperature": dict(gt=0), "top_p": dict(gt=0, le=1),
              "repetition_penalty": dict(gt=0), "seed": dict(ge=0)}
    kinds = {"strategy": Literal[STRATEGIES], "seed": Optional[int], "words": int,
             "top_k": int, "beams": int, "no_repeat_ngram": Optional[int], "temperature": float,
             "top_p": float, "repetition_penalty": float, "stop_at_eol": bool}
    fields = {"prefix": (str, Field("", max_length=MAX_TEXT,
                                    description="The text to continue."))}
    for field in GenerationConfig.options():
        fields[field.name] = (kinds[field.name], Field(
            field.default, description=field.metadata["help"], **limits.get(field.name, {})))
    return create_model("GenerateRequest", __base__=Strict, **fields)


GenerateRequest = _generate_request_model()


def _sentence(error: dict) -> str:
    """One sentence for a pydantic error: where, what, and what was received."""
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    if error.get("type") == "json_invalid":
        return "the request body is not valid JSON; send a JSON object"
    if error.get("type") == "missing":
        return f"the field {where!r} is missing"
    if error.get("type") == "extra_forbidden":
        return f"unknown field {where!r}; see /docs for the fields"
    if where == "":
        return f"the request body must be a JSON object ({error.get('msg')})"
    received = json.dumps(error.get("input"), default=str)
    if len(received) > 60:
        received = received[:57] + "..."
    return f"{where}: {error.get('msg', 'invalid').lower()}, got {received}"


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


# Every answer that is not a success, as the API describes it (schemathesis holds the app to it).
ERRORS = {401: "a token is required and was missing or wrong (serve --token)",
          403: "refused: learning is off, or a cross-origin request",
          413: "the request body is over 64 KB",
          422: "the request is not what the route takes, or a value is impossible"}
ERROR_RESPONSES = {status: {"model": Error, "description": why} for status, why in ERRORS.items()}
WRITES = ("/v1/learn", "/v1/forget")  # the routes that change the model: always under a token
OPEN = ("/", "/healthz")  # the page and its files, and the health check: never (they hold no data)


class Guard:
    """Refuses requests without the token where one is needed (401), bodies over MAX_BODY
    (413) and cross-origin requests not allowed (403).

    Plain ASGI rather than a Starlette middleware: it adds no work to the hot path beyond
    reading a few headers. A browser sends Origin on cross-origin requests (and on same-origin
    POSTs); one naming another host than the request's is refused unless it was allowed. The
    token is compared in constant time.
    """

    def __init__(self, app, allowed_origins=(), token: str | None = None,
                 token_all: bool = False):
        self.app = app
        self.allowed = set(allowed_origins)
        self.expected = f"Bearer {token}".encode() if token else None
        self.token_all = token_all

    def needs_token(self, path: str) -> bool:
        if self.expected is None:
            return False
        if path in WRITES:
            return True
        return self.token_all and path not in OPEN and not path.startswith("/static/")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.needs_token(scope["path"]) and not hmac.compare_digest(
                headers.get(b"authorization", b""), self.expected):
            return await _error(401, "this route needs the server's token: send the header "
                                     "'Authorization: Bearer TOKEN'",
                                {"WWW-Authenticate": "Bearer"})(scope, receive, send)
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin and origin not in self.allowed and origin != "null" \
                and urlsplit(origin).netloc != headers.get(b"host", b"").decode("latin-1"):
            return await _error(403, f"cross-origin requests from {origin} are refused; start "
                                     f"the server with --cors-origin {origin} to allow "
                                     "them")(scope, receive, send)
        if scope["method"] == "POST" and headers.get(b"content-type") != b"application/json":
            # The API speaks JSON only: `curl -d '{...}'` (a form type) is read as JSON too.
            scope = dict(scope, headers=[(name, value) for name, value in scope["headers"]
                                         if name != b"content-type"]
                         + [(b"content-type", b"application/json")])
        length = headers.get(b"content-length")
        too_large = f"the request body is over {MAX_BODY // 1024} KB"
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return await _error(413, too_large)(scope, receive, send)
        if scope["method"] != "POST" or length is not None:
            return await self.app(scope, receive, send)  # the server holds it to its length
        # A chunked body: read it here (at most MAX_BODY) and hand it on whole; FastAPI would
        # turn an error raised while it reads into a 400.
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                return await _error(413, too_large)(scope, receive, send)
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def create_app(predictor, cors_origins=(), title: str = "nextword", learner=None,
               token: str | None = None, token_all: bool = False) -> FastAPI:
    """The ASGI app serving `predictor`: the JSON API under /v1, the page at /.

    learner: an online.OnlineLearner (`serve --learn`): POST /v1/learn learns finished lines
    and POST /v1/forget blocks words; without one those routes answer 403.
    token: what `Authorization: Bearer TOKEN` must carry on the routes that write (and, with
    token_all, on every route but the page, its files and /healthz); 401 otherwise.
    """
    app = FastAPI(title=title, version=__version__,
                  description="Next-word prediction, word completion and generation from a "
                              "nextword model.")
    guard = Guard(app, cors_origins, token, token_all)
    bearer = HTTPBearer(auto_error=False, description="The token given to `nextword serve "
                                                      "--token` (Guard checks it).")

    def route(method, path, **settings):
        """A FastAPI route with the errors it can answer, and the token where it needs one
        (declared here for the API's description; Guard checks it)."""
        dependencies = [Depends(bearer)] if guard.needs_token(path) else []
        return method(path, responses=ERROR_RESPONSES, dependencies=dependencies, **settings)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        errors = error.errors()
        return _error(422, _sentence(errors[0]) if errors else "invalid request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        if error.status_code == 404:
            return _error(404, f"no such path: {request.url.path}; the API is described at "
                               "/docs")
        if error.status_code == 405:
            return _error(405, f"{request.method} is not allowed on {request.url.path}")
        if error.status_code == 400:  # a body FastAPI could not decode: as the fast routes say
            return _error(422, "the request body is not valid JSON; send a JSON object")
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(NextwordError)
    async def bad_value(request: Request, error: NextwordError):
        return _error(422, str(error))

    @route(app.post, "/v1/complete", response_model=Completion)
    async def complete(request: CompleteRequest):
        """Completions of the word being typed (and corrections of a typo), or the next words
        after whitespace, each as it is to be written."""
        found = predictor.suggest(request.text, request.k, request.correct, request.phrases,
                                  request.passed)
        typed = suggestions.read(predictor, request.text).typed
        return _json({"suggestions": [s.to_dict() for s in found],
                      "mode": "next" if typed is None else "completion",
                      "replace": 0 if typed is None else len(typed)})

    @route(app.post, "/v1/predict", response_model=Suggestions)
    async def predict(request: PredictRequest):
        """The most likely next words after the prefix."""
        return _json({"suggestions": [{"word": word, "probability": p, "kind": "next",
                                       "replace": 0, "autocorrect": False}
                                      for word, p in predictor.predict(request.prefix,
                                                                       request.k)]})

    @route(app.post, "/v1/generate", response_model=Generated)
    async def generate(request: GenerateRequest):
        """A continuation of the prefix; the same settings and seed give the same text."""
        values = request.model_dump()
        prefix = values.pop("prefix")
        return _json({"text": predictor.generate(prefix, GenerationConfig(**values))})

    @route(app.post, "/v1/learn", response_model=Learned)
    async def learn(request: LearnRequest):
        """Learn a finished line into the model (only with `serve --learn`)."""
        if learner is None:
            return _error(403, "learning is off; start the server with `nextword serve "
                               "--learn` to learn from what is typed")
        # On the learner's thread: other requests are answered meanwhile, from the model as
        # it was until the new user layer is swapped in.
        learned = await asyncio.to_thread(learner.learn, request.text)
        return _json({"lines": learned["lines"], "tokens": learned["tokens"],
                      "new_words": learned["new words"]})

    @route(app.post, "/v1/forget", response_model=Forgotten)
    async def forget(request: ForgetRequest):
        """Never suggest these words again, or again with undo (only with `serve --learn`);
        the model file is saved at once."""
        if learner is None:
            return _error(403, "forgetting from the page needs a learning server; start it "
                               "with `nextword serve --learn`, or run `nextword forget WORD`")
        words, unknown = learning.known(predictor, request.words)
        changed = await asyncio.to_thread(learner.forget, words, request.undo) if words else []
        return _json({"changed": changed, "unknown": unknown, "blocked": len(predictor.blocked_words)})

    # The two routes a keyboard calls on every keystroke, served first by plain Starlette
    # routes that validate the same declared models: FastAPI's request handling costs ~0.2 ms
    # a request here, more than a cached keystroke's work. The FastAPI routes above stay for
    # the OpenAPI description (/docs); answers and errors are the same.
    for path, model, endpoint in (("/v1/complete", CompleteRequest, complete),
                                  ("/v1/predict", PredictRequest, predict)):
        app.router.routes.insert(0, Route(path, _direct(model, endpoint), methods=["POST"]))

    @route(app.get, "/v1/model", response_model=dict[str, Optional[str | int | float | bool]])
    async def model():
        """What `nextword info` shows, with file names but no folders (nothing about the
        machine), and whether the server learns."""
        return _json(dict(predictor.describe(names_only=True), learning=learner is not None))

    @route(app.get, "/healthz", response_model=dict[str, str])
    async def health():
        """Whether the server answers."""
        return _json({"status": "ok"})

    page_html = (WEB / "index.html").read_text(encoding="utf-8")  # read once, not per request
    files = {name: (WEB / name).read_bytes() for name in STATIC}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse(page_html)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        if name not in STATIC:
            return _error(404, f"no such file: /static/{name}")
        return Response(files[name], media_type=STATIC[name])

    if cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["content-type", "authorization"])
    return guard


def _direct(model, endpoint):
    """A Starlette endpoint: the body validated as `model`, then the FastAPI endpoint's work."""
    async def direct(request: Request):
        try:
            parsed = model.model_validate_json(await request.body())
        except ValidationError as error:
            return _error(422, _sentence(error.errors()[0]))
        return await endpoint(parsed)
    return direct


def _json(content) -> Response:
    """A JSON answer written directly: the declared models document it, and skipping their
    re-validation of our own output saves a good share of each request's time."""
    return Response(json.dumps(content, ensure_ascii=False), media_type="application/json")


def listen(host: str, port: int):
    """A listening socket on host:port, or a NextwordError saying why not."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: an answer's header and body go out at once instead
        # of the body waiting ~40 ms for the client's delayed ACK (Nagle's algorithm).
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.bind((host, port))
        listener.listen(2048)
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise NextwordError(f"could not listen on {host}:{port}: {reason}; choose another "
                            "--port or --host") from None
    listener.set_inheritable(True)
    return listener


def serve(predictor, host: str = "127.0.0.1", port: int = 8000, cors_origins=(),
          ready=None, learner=None, token: str | None = None, token_all: bool = False,
          log=None) -> None:
    """Run the app under uvicorn until Ctrl-C or SIGTERM; `ready(url)` once it listens.

    While it runs, the server follows its model file (engine/sharing.py): what other
    processes write to it (learn, forget) reaches its answers within a second, and `train`
    refuses to replace it. learner: an online.OnlineLearner, closed (what was learned saved)
    when the server stops. token, token_all: see create_app.
    """
    import asyncio
    import signal

    import uvicorn

    from ..engine.sharing import Follower

    listener = listen(host, port)
    follower = Follower(predictor, log=log)
    config = uvicorn.Config(create_app(predictor, cors_origins, learner=learner, token=token,
                                       token_all=token_all),
                            log_level="warning",
                            access_log=False, server_header=False, timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)

    async def run():
        task = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started and ready is not None:
            address, bound = listener.getsockname()[:2]
            shown = f"[{address}]" if ":" in address else address
            ready(f"http://{shown}:{bound}/")
        await task

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again with the
    # handler found at start: make that a no-op for SIGTERM so a stopped server exits with 0.
    previous = signal.signal(signal.SIGTERM, lambda number, frame: None)
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        listener.close()
        if learner is not None:
            learner.close()
        follower.close()
