"""A real `nextword serve --learn` shared with other processes: it follows its file, learns
under load without losing a line, survives kill -9, and its page uses the token."""

import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from test_server import served_page, start_server

import nextword

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tiny-v1.keras")
TOKEN = "load-test-token"
pytestmark = pytest.mark.slow  # real servers, subprocesses, a browser


@pytest.fixture
def model(tmp_path):
    path = str(tmp_path / "m.keras")
    shutil.copy(FIXTURE, path)
    return path


class Client:
    """One keep-alive connection to a server."""

    def __init__(self, url, token=None):
        host, port = url.split("//")[1].split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers = {"content-type": "application/json"}
        if token:
            self.headers["authorization"] = f"Bearer {token}"

    def post(self, path, body):
        self.connection.request("POST", path, json.dumps(body), self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def get(self, path):
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def completions(client, text):
    status, body = client.post("/v1/complete", {"text": text, "k": 10})
    assert status == 200, body
    return [s["word"] for s in body["suggestions"]]


def nextword_command(*args):
    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120)


def test_a_forget_reaches_a_running_server_within_a_second_and_stays(model):
    process, url = start_server(model, "--learn")
    try:
        client = Client(url)
        for _ in range(3):
            assert client.post("/v1/learn", {"text": "and the zorblax went up"})[0] == 200
        assert "zorblax" in completions(client, "and the zorb")
        forgot = nextword_command("forget", "zorblax", "-m", model)
        assert forgot.returncode == 0, forgot.stderr
        done = time.monotonic()
        while "zorblax" in completions(client, "and the zorb"):
            assert time.monotonic() - done < 1.0, "the server still suggests a forgotten word"
            time.sleep(0.05)
        # The server's own next save (after a learned line) keeps the block.
        assert client.post("/v1/learn", {"text": "and the lord said"})[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    listed = nextword_command("forget", "--list", "-m", model)
    assert "zorblax" in listed.stdout.split()
    assert "zorblax" not in [w for w, _ in nextword.load(model).complete("and the zorb", 10)]
    assert nextword.load(model).learned["lines"] == 2 + 4


def load(url, seconds, completing=8, learning=2, stop=None):
    """completing + learning clients against the server for `seconds` (or until stop is set);
    returns (completion answers' statuses, lines acknowledged with the time of each)."""
    texts = ["and the lo", "and god said ", "in the beginning god cre", "and the earth was ",
             "and the zorb", "unto the moun"]
    deadline = time.monotonic() + seconds
    stop = stop or threading.Event()

    def complete(index):
        client, statuses = Client(url), []
        while time.monotonic() < deadline and not stop.is_set():
            try:
                status, _ = client.post("/v1/complete",
                                        {"text": texts[len(statuses) % len(texts)], "k": 3})
            except (OSError, http.client.HTTPException):
                if stop.is_set():
                    break
                raise
            statuses.append(status)
        return statuses, []

    def learn(index):
        client, acknowledged = Client(url, TOKEN), []
        while time.monotonic() < deadline and not stop.is_set():
            line = f"and the word{index}x{len(acknowledged)} went up unto the mountain"
            try:
                status, body = client.post("/v1/learn", {"text": line})
            except (OSError, http.client.HTTPException):
                if stop.is_set():
                    break
                raise
            assert status == 200 and body["lines"] == 1, body
            acknowledged.append(time.monotonic())
        return [], acknowledged

    with concurrent.futures.ThreadPoolExecutor(completing + learning) as pool:
        jobs = [pool.submit(complete, i) for i in range(completing)]
        jobs += [pool.submit(learn, i) for i in range(learning)]
        results = [job.result() for job in jobs]
    return ([s for statuses, _ in results for s in statuses],
            sorted(t for _, times in results for t in times))


def test_under_load_every_request_is_answered_and_every_line_learned(model, capsys):
    before = nextword.load(model).learned["lines"]
    process, url = start_server(model, "--learn", "--token", TOKEN)
    try:
        statuses, learned = load(url, seconds=20)
        status, info = Client(url).get("/v1/model")
        assert status == 200 and info["learned lines"] == before + len(learned)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert statuses and all(status == 200 for status in statuses)
    on_disk = nextword.load(model)  # loadable, with every acknowledged line
    assert on_disk.learned["lines"] == before + len(learned)
    assert all(f"word0x{i}" in on_disk.vocabulary.index for i in range(5))
    with capsys.disabled():
        print(f"\nload with learning: {len(statuses)} completions, {len(learned)} lines learned "
              f"and kept")


def test_kill_9_under_load_loses_at_most_the_last_save_interval(model, capsys):
    from nextword.engine.online import SAVE_INTERVAL

    before = nextword.load(model).learned["lines"]
    process, url = start_server(model, "--learn", "--token", TOKEN)
    stop = threading.Event()

    def kill_later():
        time.sleep(12)
        stop.set()
        os.kill(process.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_later)
    killer.start()
    statuses, learned = load(url, seconds=30, stop=stop)
    killer.join()
    killed = time.monotonic()
    process.wait(timeout=30)
    kept = nextword.load(model).learned["lines"] - before  # the file loads: never broken
    # Every line acknowledged more than a save interval (and a save's time) before the kill
    # is on disk; nothing is counted twice.
    surely_saved = sum(1 for t in learned if t < killed - SAVE_INTERVAL - 2)
    assert surely_saved <= kept <= len(learned)
    assert all(status == 200 for status in statuses)
    assert not [n for n in os.listdir(os.path.dirname(model)) if n.startswith(".nextword-")
                and not n.endswith(".keras")]
    with capsys.disabled():
        print(f"\nkill -9 under load: {len(learned)} lines acknowledged, {kept} on disk, at "
              f"least {surely_saved} required")


def test_the_page_takes_the_token_from_its_address_and_forgets_a_word(model):
    with served_page(model, "--learn", "--token", TOKEN, fragment=f"#token={TOKEN}") as (page,
                                                                                         _):
        page.wait_for_function("() => document.getElementById('model').textContent !== ''",
                               timeout=10_000)
        assert "token" not in page.url  # taken out of the address bar (and its history)
        assert page.evaluate("sessionStorage.getItem('nextword-token')") == TOKEN
        box = page.locator("#text")
        box.click()
        box.press_sequentially("and the zorblax went up", delay=5)
        with page.expect_response(lambda r: r.url.endswith("/v1/learn")) as learned:
            box.press("Enter")
        assert learned.value.status == 200
        box.press_sequentially("and the zorb", delay=5)
        chip = page.locator("#suggestions li", has_text="zorblax")
        chip.wait_for(timeout=10_000)
        with page.expect_response(lambda r: r.url.endswith("/v1/forget")) as forgot:
            chip.locator(".forget").click()
        assert forgot.value.status == 200
        page.wait_for_function("() => ![...document.querySelectorAll('#suggestions .word')]"
                               ".some((w) => w.textContent === 'zorblax')", timeout=10_000)
    assert "zorblax" in nextword.load(model).blocked_words
