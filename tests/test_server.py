"""`nextword serve`: the API through FastAPI's test client, a real server under load and
SIGTERM, and the page in a real browser (Debian's chromium, driven by playwright)."""

import concurrent.futures
import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from test_predictor import WORDS, save_model

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import nextword  # noqa: E402
from nextword.serve.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("served") / "served.keras", ngram_order=3)


@pytest.fixture(scope="module")
def predictor(model_path):
    return nextword.load(model_path)


@pytest.fixture(scope="module")
def client(predictor):
    return TestClient(create_app(predictor))


# ----- every endpoint -----------------------------------------------------------------------
def test_complete_inside_a_word_and_after_a_space(client, predictor):
    answer = client.post("/v1/complete", json={"text": "and the lo", "k": 5})
    assert answer.status_code == 200
    body = answer.json()
    assert body["mode"] == "completion" and body["replace"] == 2
    pairs = [(s["word"], s["probability"]) for s in body["suggestions"]]
    assert pairs == [(w, pytest.approx(p)) for w, p in predictor.complete("and the lo", 5)]
    after = client.post("/v1/complete", json={"text": "and the lord "}).json()
    assert after["mode"] == "next" and after["replace"] == 0
    assert [s["word"] for s in after["suggestions"]] == \
        [w for w, _ in predictor.predict("and the lord", 20) if w[:1].isalnum()][:5]
    assert client.post("/v1/complete", json={"text": "and the qq"}).json()["suggestions"] == []


def test_predict_generate_model_health(client, predictor):
    body = client.post("/v1/predict", json={"prefix": "the lord", "k": 3}).json()
    assert [s["word"] for s in body["suggestions"]] == \
        [w for w, _ in predictor.predict("the lord", 3)]
    request = {"prefix": "the", "words": 8, "strategy": "top-k", "seed": 4}
    first = client.post("/v1/generate", json=request).json()["text"]
    assert first == client.post("/v1/generate", json=request).json()["text"]
    assert first == predictor.generate("the", words=8, strategy="top-k", seed=4)
    beam = client.post("/v1/generate", json={"prefix": "the", "strategy": "beam",
                                             "words": 4}).json()
    assert isinstance(beam["text"], str)
    model = client.get("/v1/model").json()
    assert model == dict(json.loads(json.dumps(predictor.describe(names_only=True))),
                         learning=False)
    assert model["vocabulary size"] == len(predictor.vocabulary)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert "/v1/complete" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_generate_has_the_cli_defaults(client, predictor):
    """No settings: GenerationConfig's defaults, as `nextword generate` has them."""
    answer = client.post("/v1/generate", json={"prefix": "the", "seed": 2}).json()["text"]
    assert answer == predictor.generate("the", nextword.GenerationConfig(seed=2))


# ----- bad requests: a 4xx answer with one sentence, and the server goes on -------------------
@pytest.mark.parametrize("path, body, status, message", [
    ("/v1/complete", b"{bad json", 422, "the request body is not valid JSON"),
    ("/v1/complete", b"[1, 2]", 422, "the request body must be a JSON object"),
    ("/v1/complete", {"k": 3}, 422, "the field 'text' is missing"),
    ("/v1/complete", {"text": 5}, 422, "text: input should be a valid string, got 5"),
    ("/v1/complete", {"text": "a", "k": "3"}, 422, "k: input should be a valid integer"),
    ("/v1/complete", {"text": "a", "k": 0}, 422, "k: input should be greater than or equal "
                                                 "to 1, got 0"),
    ("/v1/complete", {"text": "a", "k": 1001}, 422, "k: input should be less than or equal "
                                                    "to 1000"),
    ("/v1/complete", {"text": "a" * 10_001}, 422, "text: string should have at most 10000 "
                                                  "characters"),
    ("/v1/complete", {"text": "a", "extra": 1}, 422, "unknown field 'extra'"),
    ("/v1/generate", {"words": 1001}, 422, "words: input should be less than or equal to 1000"),
    ("/v1/generate", {"words": 0}, 422, "words: input should be greater than or equal to 1"),
    ("/v1/generate", {"temperature": 0}, 422, "temperature: input should be greater than 0"),
    ("/v1/generate", {"strategy": "nucleus"}, 422, "strategy: input should be"),
    ("/v1/generate", {"top_p": 1.5}, 422, "top_p: input should be less than or equal to 1"),
    ("/v1/complete", {"text": "a" * (70 * 1024)}, 413, "the request body is over 64 KB"),
    ("/v1/nothing", {"text": "a"}, 404, "no such path: /v1/nothing"),
])
def test_bad_requests_get_one_sentence(client, path, body, status, message):
    if isinstance(body, bytes):
        answer = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        answer = client.post(path, json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert set(error) == {"error"} and message in error["error"], error
    assert "\n" not in error["error"] and "Traceback" not in answer.text
    assert client.post("/v1/complete", json={"text": "and the lo"}).status_code == 200


def test_chunked_body_over_the_limit_is_refused(client):
    def chunks():
        for _ in range(80):
            yield b"x" * 1024

    answer = client.post("/v1/complete", content=chunks(),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_unknown_path_and_method(client):
    assert client.get("/nothing").status_code == 404
    assert client.get("/v1/complete").status_code == 405
    assert client.get("/static/../server.py").status_code == 404


def test_cross_origin_refused_unless_allowed(predictor):
    refused = TestClient(create_app(predictor)).post(
        "/v1/complete", json={"text": "a"}, headers={"origin": "http://elsewhere.example"})
    assert refused.status_code == 403 and "--cors-origin" in refused.json()["error"]
    same = TestClient(create_app(predictor)).post(
        "/v1/complete", json={"text": "a"}, headers={"origin": "http://testserver"})
    assert same.status_code == 200
    allowed = TestClient(create_app(predictor, cors_origins=["http://elsewhere.example"]))
    answer = allowed.post("/v1/complete", json={"text": "a"},
                          headers={"origin": "http://elsewhere.example"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "http://elsewhere.example"


def test_concurrent_requests_never_share_state(client, predictor):
    """Generations with different seeds, all at once, each equal to its solo result."""
    requests = [{"prefix": prefix, "words": 10, "strategy": "sample", "seed": seed}
                for seed in range(6) for prefix in ("the", "and god", "the lord said")]
    alone = [predictor.generate(r["prefix"], words=10, strategy="sample", seed=r["seed"])
             for r in requests]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        together = list(pool.map(
            lambda r: client.post("/v1/generate", json=r).json()["text"], requests))
    assert together == alone


def test_page_is_self_contained(client):
    page = client.get("/")
    assert page.status_code == 200 and '<textarea id="text"' in page.text
    script = client.get("/static/app.js")
    style = client.get("/static/style.css")
    assert script.status_code == 200 and "/v1/complete" in script.text
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    for text in (page.text, script.text, style.text):  # works offline: nothing from elsewhere
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


# ----- a real server ------------------------------------------------------------------------
def start_server(model_path, *options):
    """`nextword serve` on a free port of 127.0.0.1; returns (process, base URL)."""
    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    process = subprocess.Popen([script, "serve", "-m", model_path, "--port", "0", *options],
                               stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    if "serving" not in line:
        process.kill()
        raise AssertionError(f"the server did not start: {line}{process.stderr.read()}")
    return process, line.split(" at ")[1].split()[0].rstrip("/")


@pytest.mark.slow
def test_load_16_clients_800_requests_all_answered(model_path, predictor):
    process, url = start_server(model_path)
    host, port = url.split("//")[1].split(":")
    texts = ["and the lo", "the lord said ", "and god s", "the la", "and the lord said , a"]
    expected = {t: [w for w, _ in predictor.complete(t, 3)] for t in texts}

    def client(index):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        answers = []
        for request in range(50):
            text = texts[(index + request) % len(texts)]
            connection.request("POST", "/v1/complete", json.dumps({"text": text, "k": 3}),
                               {"content-type": "application/json"})
            response = connection.getresponse()
            body = json.loads(response.read())
            answers.append((response.status, text, [s["word"] for s in body["suggestions"]]))
        connection.close()
        return answers

    try:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = [a for answers in pool.map(client, range(16)) for a in answers]
        assert time.monotonic() - started < 120
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert len(results) == 800
    assert all(status == 200 for status, _, _ in results)
    assert all(words == expected[text] for _, text, words in results)


@pytest.mark.slow
def test_sigterm_stops_the_server_cleanly(model_path):
    process, url = start_server(model_path)
    host, port = url.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/healthz")
    assert connection.getresponse().status == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert "Traceback" not in process.stderr.read()


@pytest.mark.slow
def test_wide_host_warns_and_a_busy_port_is_one_line(model_path):
    process, url = start_server(model_path)
    port = url.rsplit(":", 1)[1]
    try:
        script = os.path.join(os.path.dirname(sys.executable), "nextword")
        busy = subprocess.run([script, "serve", "-m", model_path, "--port", port],
                              capture_output=True, text=True, timeout=60)
        assert busy.returncode == 1
        assert busy.stderr.strip().splitlines()[-1].startswith("Error: could not listen on")
        assert "Traceback" not in busy.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    wide, _ = start_server(model_path, "--host", "0.0.0.0")
    warning = wide.stderr.readline()
    wide.send_signal(signal.SIGTERM)
    wide.wait(timeout=20)
    assert warning.startswith("warning: listening on 0.0.0.0: anyone who can reach this "
                              "machine can use the server")


# ----- learning ---------------------------------------------------------------------------------
def test_learn_route_learns_lines_only_when_learning_is_on(model_path, tmp_path, client):
    from nextword.engine.online import OnlineLearner

    answer = client.post("/v1/learn", json={"text": "the zorblax said"})
    assert answer.status_code == 403 and "--learn" in answer.json()["error"]
    assert client.get("/v1/model").json()["learning"] is False
    path = str(tmp_path / "learning.keras")
    shutil.copy(model_path, path)
    predictor = nextword.load(path)
    with OnlineLearner(predictor, interval=60) as learner:
        learning = TestClient(create_app(predictor, learner=learner))
        assert learning.get("/v1/model").json()["learning"] is True
        for _ in range(3):
            answer = learning.post("/v1/learn", json={"text": "the zorblax said the lord"})
            assert answer.status_code == 200, answer.text
        assert answer.json() == {"lines": 1, "tokens": 5, "new_words": 0}
        completion = learning.post("/v1/complete", json={"text": "the zor"}).json()
        assert completion["suggestions"][0]["word"] == "zorblax"
        assert learning.post("/v1/learn", json={"text": 5}).status_code == 422
    assert nextword.load(path).learned["lines"] == 3  # saved when the learner closed


# ----- the page in a real browser -------------------------------------------------------------
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]


@contextlib.contextmanager
def served_page(model_path, *options, fragment=""):
    """`nextword serve` and the page open in a real (headless) browser: yields (page,
    server process); the server gets SIGTERM afterwards and must exit with 0. fragment: the
    page's address ends with it (#token=...)."""
    if BROWSER is None:
        pytest.skip("NO BROWSER: Debian's chromium is not installed (.ci/run installs it); "
                    "the page was not tested in a real browser")
    playwright = pytest.importorskip("playwright.sync_api")
    process, url = start_server(model_path, *options)
    try:
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=BROWSER, headless=True,
                                             args=BROWSER_ARGS)
            page = browser.new_page()
            page.goto(url + "/" + fragment)
            yield page, process
            browser.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def type_and_take_the_first(model_path, typed, expected_word):
    """In a real browser: type into the page, wait for expected_word among the suggestions,
    press Tab; returns (the first suggestion, the text box's value after Tab)."""
    with served_page(model_path) as (page, _):
        box = page.locator("#text")
        box.click()
        box.press_sequentially(typed, delay=15)
        page.wait_for_function(  # the suggestions now answer what was typed
            f"() => document.getElementById('suggestions').dataset.text === "
            f"{json.dumps(typed)}", timeout=10_000)
        page.locator("#suggestions li", has_text=expected_word).wait_for(timeout=10_000)
        first = page.locator("#suggestions li .word").first.inner_text()
        box.press("Tab")
        page.wait_for_function(
            f"() => document.getElementById('text').value !== {json.dumps(typed)}",
            timeout=10_000)
        value = box.input_value()
    return first, value


@pytest.mark.slow
def test_page_suggests_as_you_type_and_tab_accepts(tmp_path):
    words = WORDS + ["unto", "moses", "morning", "mount"]
    path = save_model(tmp_path / "moses.keras", ngram_order=3, words=words)
    first, value = type_and_take_the_first(path, "and the lord said unto mo", "moses")
    assert first in ("moses", "morning", "mount")
    assert value == f"and the lord said unto {first} "


@pytest.mark.slow
def test_page_writes_chinese_without_spaces(tmp_path):
    words = ["我们", "将", "使用", "使", "使得", "模型", "，", "。"]
    path = save_model(tmp_path / "zh.keras", ngram_order=3, words=words, tokenizer="chinese")
    first, value = type_and_take_the_first(path, "我们将使", "使用")
    assert first in ("使用", "使", "使得") and value == "我们将" + first


@pytest.mark.slow
def test_page_sends_finished_lines_to_a_learning_server(tmp_path):
    path = save_model(tmp_path / "learns.keras", ngram_order=3)
    with served_page(path, "--learn") as (page, _):
        page.wait_for_function("() => document.getElementById('model').textContent !== ''",
                               timeout=10_000)  # the page knows the server learns
        box = page.locator("#text")
        box.click()
        box.press_sequentially("the zorblax said the lord", delay=5)
        with page.expect_response(lambda r: r.url.endswith("/v1/learn")) as learned:
            box.press("Enter")
        assert learned.value.status == 200
    assert nextword.load(path).learned["lines"] == 1  # saved on the way out
    assert "zorblax" in nextword.load(path).vocabulary.index
