"""The HTTP API tells clients only what they need, writes only for whoever holds the token, and
holds to its own OpenAPI description under a fuzzer (schemathesis)."""

import os
import shutil

import hypothesis
import pytest
from cli_helpers import assert_one_line_error, run
from fastapi.testclient import TestClient

import nextword
from nextword.engine.online import OnlineLearner
from nextword.serve.app import create_app

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tiny-v1.keras")
TOKEN = "s3cret-token"


@pytest.fixture
def model(tmp_path):
    path = str(tmp_path / "m.keras")
    shutil.copy(FIXTURE, path)
    return path


@pytest.fixture
def learning(model):
    """(a learning app's test client with TOKEN, its predictor)."""
    predictor = nextword.load(model)
    with OnlineLearner(predictor, interval=60) as learner:
        yield TestClient(create_app(predictor, learner=learner, token=TOKEN)), predictor


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def test_model_info_names_files_without_their_folders(model):
    predictor = nextword.load(model)
    predictor.config.corpus = ["/home/someone/private/letters.txt", "/srv/texts/kjv.txt"]
    info = TestClient(create_app(predictor)).get("/v1/model").json()
    assert info["model"] == "m.keras"
    assert info["corpus files"] == "letters.txt, kjv.txt"
    assert not any(isinstance(value, str) and os.sep in value for value in info.values())
    assert nextword.load(model).describe()["model"] == model  # `nextword info` shows the path


def test_writes_need_the_token_and_reads_do_not(learning):
    client, _ = learning
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = client.post("/v1/learn", json={"text": "the zorblax said"}, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": "this route needs the server's token: send the "
                                          "header 'Authorization: Bearer TOKEN'"}
        assert answer.headers["www-authenticate"] == "Bearer"
        assert client.post("/v1/forget", json={"words": ["lord"]},
                           headers=headers).status_code == 401
    assert client.post("/v1/complete", json={"text": "and the lo"}).status_code == 200
    assert client.get("/v1/model").status_code == 200
    learned = client.post("/v1/learn", json={"text": "the zorblax said"}, headers=BEARER)
    assert learned.status_code == 200 and learned.json()["lines"] == 1


def test_forget_from_the_api_blocks_at_once_and_saves(learning, model):
    client, predictor = learning
    answer = client.post("/v1/forget", json={"words": ["lord", "zzzz"]}, headers=BEARER)
    assert answer.status_code == 200
    assert answer.json() == {"changed": ["lord"], "unknown": ["zzzz"],
                             "blocked": len(predictor.blocked)}
    completion = client.post("/v1/complete", json={"text": "and the lo"}).json()
    assert "lord" not in [s["word"] for s in completion["suggestions"]]
    assert "lord" in nextword.load(model).blocked_words  # on disk before the answer
    undone = client.post("/v1/forget", json={"words": ["lord"], "undo": True}, headers=BEARER)
    assert undone.json()["changed"] == ["lord"]
    assert "lord" not in nextword.load(model).blocked_words


def test_forget_needs_a_learning_server(model):
    client = TestClient(create_app(nextword.load(model)))
    answer = client.post("/v1/forget", json={"words": ["lord"]})
    assert answer.status_code == 403 and "nextword serve --learn" in answer.json()["error"]


def test_token_all_guards_every_route_but_the_page_and_health(model):
    client = TestClient(create_app(nextword.load(model), token=TOKEN, token_all=True))
    for method, path, body in (("post", "/v1/complete", {"text": "the"}),
                               ("post", "/v1/predict", {"prefix": "the"}),
                               ("post", "/v1/generate", {"prefix": "the", "words": 2}),
                               ("get", "/v1/model", None), ("get", "/openapi.json", None),
                               ("get", "/docs", None)):
        send = getattr(client, method)
        options = {"json": body} if body is not None else {}
        assert send(path, **options).status_code == 401, path
        assert send(path, headers=BEARER, **options).status_code == 200, path
    for path in ("/", "/static/app.js", "/healthz"):
        assert client.get(path).status_code == 200, path


def test_the_api_declares_the_token_where_it_needs_one(model):
    schema = TestClient(create_app(nextword.load(model), token=TOKEN)).get(
        "/openapi.json").json()
    secured = {path for path, operations in schema["paths"].items()
               for operation in operations.values() if operation.get("security")}
    assert secured == {"/v1/learn", "/v1/forget"}
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert {"401", "403", "413", "422"} <= set(operation["responses"])


@pytest.mark.parametrize("options, message", [
    (["--host", "0.0.0.0", "--learn"], "--host 0.0.0.0 with --learn would let anyone who can "
                                       "reach this machine change the model; give --token "
                                       "TOKEN (or NEXTWORD_TOKEN)"),
    (["--token-all"], "--token-all needs a token: give --token TOKEN (or NEXTWORD_TOKEN)"),
    (["--token", " "], "--token must not be empty"),
])
def test_serve_refuses_an_unguarded_learning_server(model, options, message):
    assert_one_line_error(run("serve", "-m", model, *options), message)


# ----- the fuzzer ---------------------------------------------------------------------------------
schemathesis = pytest.importorskip("schemathesis")
FUZZED = {"cases": 0, "server errors": 0}


@pytest.fixture(scope="module", autouse=True)
def fuzzing_report():
    yield
    if FUZZED["cases"]:  # shown with -s: the figures of the run
        print(f"\nschemathesis: {FUZZED['cases']} cases, {FUZZED['server errors']} 5xx")


def fuzzed_app():
    """A learning app with a token over a copy of the fixture model, for the fuzzer (made at
    import: schemathesis reads the schema when the tests are collected)."""
    import atexit
    import tempfile

    folder = tempfile.mkdtemp(prefix="nextword-fuzz-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = os.path.join(folder, "m.keras")
    shutil.copy(FIXTURE, path)
    predictor = nextword.load(path)
    learner = OnlineLearner(predictor, interval=3600)
    atexit.register(learner.close)
    return create_app(predictor, learner=learner, token=TOKEN)


# An invalid request may be refused as too large (413) before it is read: a refusal too.
REFUSALS = [400, 401, 403, 404, 405, 413, 415, 422]
fuzzed = schemathesis.openapi.from_asgi(
    "/openapi.json", fuzzed_app(), config=schemathesis.config.SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}))


@pytest.mark.slow
@fuzzed.parametrize()
@hypothesis.settings(max_examples=100, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_the_api_holds_to_its_description_under_a_fuzzer(case):
    """Every route of the schema, generated bodies and headers, with the token and without:
    never a 5xx, every answer as the schema describes it (status, headers, body), invalid
    requests refused. Not checked: that every valid request succeeds (a word or setting the
    model refuses is a 422 by design). The page (/, /static/...) is HTML and files, outside
    the JSON API's description."""
    from schemathesis.checks import (content_type_conformance, negative_data_rejection,
                                     not_a_server_error, response_headers_conformance,
                                     response_schema_conformance, status_code_conformance)

    FUZZED["cases"] += 1
    headers = BEARER if FUZZED["cases"] % 2 else None  # half without the token: 401s
    response = case.call(headers=headers)
    FUZZED["server errors"] += response.status_code >= 500
    case.validate_response(response, checks=[
        not_a_server_error, status_code_conformance, content_type_conformance,
        response_headers_conformance, response_schema_conformance, negative_data_rejection])
