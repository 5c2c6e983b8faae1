"""Phrase suggestions (offered where the continuation is certain, never below the threshold,
taken in one keystroke, in the CLI, the server and the page) and generation that does not loop
(each strategy's repetition within the held-out text's range)."""

import json
import os

import numpy as np
import pytest
from cli_helpers import run
from fastapi.testclient import TestClient

import nextword
from nextword.engine import phrases
from nextword.engine.generation import distinct, repeated_ngrams
from nextword.engine.typist import Typist
from nextword.text.tokenize import surface_tokens

ANIMALS = ["cat", "cow", "owl", "ram", "eel", "ox", "bee", "elk", "hen", "pig", "yak", "ape"]


@pytest.fixture(scope="module")
def phrasal(tmp_path_factory):
    """A tiny model of a text where "the quick" is always followed by the same words, and
    "i saw the" by one of twelve animals."""
    folder = tmp_path_factory.mktemp("phrasal")
    lines = []
    for i in range(240):
        lines.append("the quick brown fox jumps over the lazy dog .")
        lines.append(f"i saw the {ANIMALS[i % len(ANIMALS)]} today .")
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = str(folder / "phrasal.keras")
    nextword.train(str(corpus), path, units=32, embedding_dim=16, sequence_length=8,
                   batch_size=16, epochs=6, learning_rate=0.01, max_minutes=0, ngram_order=3,
                   min_count=1, dropout=0.0, mixed_precision=False, seed=1)
    return path


@pytest.fixture
def model(phrasal):
    return nextword.load(phrasal)


def phrase_of(suggestions):
    found = [s for s in suggestions if s.kind == "phrase"]
    assert len(found) <= 1 and all(s.kind != "phrase" for s in suggestions[:-1])
    return found[0] if found else None


# ----- what is offered ---------------------------------------------------------------------------
def test_a_phrase_is_offered_where_the_continuation_is_certain(model):
    shown = model.suggest("the quick ", 3, phrases=True)
    phrase = phrase_of(shown)
    assert phrase is not None and phrase.word == "brown fox jumps over the lazy"  # 6 words
    assert phrase.probability >= model.phrase_threshold and phrase.replace == 0
    assert [s.kind for s in shown[:3]] == ["next"] * 3 and shown[0].word == "brown"
    assert phrase_of(model.suggest("the quick ", 3)) is None  # only when asked for


def test_no_phrase_where_the_next_word_is_uncertain(model):
    assert phrase_of(model.suggest("i saw the ", 3, phrases=True)) is None
    assert phrase_of(model.suggest("zebra quokka ", 3, phrases=True)) is None


def test_a_nearly_certain_word_being_typed_starts_a_phrase(model):
    phrase = phrase_of(model.suggest("the quick bro", 3, phrases=True))
    assert phrase is not None and phrase.word.startswith("brown fox jumps")
    assert phrase.replace == 3


def test_the_threshold_is_respected(model):
    texts = ["the quick ", "the quick brown ", "i saw ", "i saw the cat ", "", "the lazy "]
    for limit in (0.05, 0.3, 0.6, 0.9, 0.999):
        model.phrase_threshold = limit
        for text in texts:
            phrase = phrase_of(model.suggest(text, 3, phrases=True))
            assert phrase is None or phrase.probability >= limit
    model.phrase_threshold = 0.05
    low = sum(phrase_of(model.suggest(text, 3, phrases=True)) is not None for text in texts)
    model.phrase_threshold = 0.999
    high = sum(phrase_of(model.suggest(text, 3, phrases=True)) is not None for text in texts)
    assert low > high


def test_a_phrase_is_cut_at_its_longest_sure_beginning():
    words = phrases.Phrase([10, 11, 4, 12, 13], [0.9, 0.9, 0.9, 0.5, 0.9],
                           [True, True, False, True, True])
    assert words.cut(0.7).ids == [10, 11, 4]  # its punctuation comes with it
    assert words.cut(0.5).ids == [10, 11, 4]  # p([..., 12]) = 0.36
    assert words.cut(0.3).ids == [10, 11, 4, 12, 13]
    assert words.cut(0.95) is None  # one word is no phrase
    assert words.cut(0.85, normalised=True).ids == [10, 11, 4]


def test_the_continuation_stops_at_a_sentence_end_and_a_line_end(model):
    found = phrases.continuation(model, model.encode("the quick brown fox jumps over the"))
    assert model.vocabulary.decode(found.ids) == ["lazy", "dog", "."]
    assert len(phrases.continuation(model, model.encode("i saw the")).ids) <= phrases.MAX_WORDS + 2


def test_calibration_picks_the_lowest_threshold_that_stays_precise():
    measured = phrases.Measured(100, {0.2: 40, 0.5: 30, 0.8: 25}, {0.2: 20, 0.5: 24, 0.8: 24},
                                {0.2: 0, 0.5: 0, 0.8: 0}, {0.2: {}, 0.5: {}, 0.8: {}})
    assert measured.calibrated(0.7) == 0.5 and measured.calibrated(0.95) == 0.8
    assert measured.calibrated(0.99) is None and measured.rate(0.2) == 0.4


# ----- typing with phrases -------------------------------------------------------------------------
def test_the_typist_takes_a_phrase_in_one_keystroke():
    from nextword.engine.suggestions import Suggestion

    def suggest(text, k):
        return [Suggestion("brown fox", 0.9, "phrase")] if text == "the quick " else []

    line = "the quick brown fox jumps"
    typed = Typist(suggest, surface_tokens, (3,), phrases=True).type_lines([line])
    assert typed.keystrokes[3] == len(line)  # single words: nothing offered
    assert typed.with_phrases[3] == len("the quick ") + 1 + len("jumps")
    assert typed.phrases_taken[3] == 1 and typed.phrase_words_taken[3] == 2
    assert typed.phrases_offered == 1 and typed.phrases_exact == 1
    assert typed.exact_match(2) == 1.0


def test_evaluate_reports_phrases(phrasal, tmp_path):
    text = tmp_path / "held-out.txt"
    text.write_text("the quick brown fox jumps over the lazy dog .\ni saw the owl today .\n" * 3)
    report = json.loads(run("evaluate", str(text), "-m", phrasal, "--phrases", "--json").stdout)
    shown = report["phrases"]
    assert shown["offered"] > 0 and shown["precision"] > 0.5
    assert shown["exact_match"]["1"] >= shown["exact_match"]["2"] > 0.5, shown
    assert shown["keystroke_savings"] > report["keystroke_savings"]
    assert "phrases taken" in run("evaluate", str(text), "-m", phrasal, "--phrases").stdout


def test_phrases_on_the_command_line_and_the_server(phrasal):
    from nextword.serve.app import create_app

    lines = run("complete", "the quick ", "-m", phrasal, "--phrases").stdout.splitlines()
    assert lines[-1].startswith("brown fox jumps") and lines[-1].endswith("\tphrase")
    assert all("phrase" not in line for line in
               run("complete", "the quick ", "-m", phrasal).stdout.splitlines())
    client = TestClient(create_app(nextword.load(phrasal)))
    answer = client.post("/v1/complete", json={"text": "the quick ", "k": 3,
                                               "phrases": True}).json()
    assert answer["suggestions"][-1]["kind"] == "phrase"
    assert answer["suggestions"][-1]["word"].startswith("brown fox jumps")
    plain = client.post("/v1/complete", json={"text": "the quick ", "k": 3}).json()
    assert all(s["kind"] != "phrase" for s in plain["suggestions"])


# ----- generation that does not loop --------------------------------------------------------------
def test_each_strategy_repeats_itself_no_more_than_the_held_out_text(cased):
    """On held-out verses: every strategy, at its defaults, within the 10th-90th percentile
    of the held-out text's own repeated 4-grams and distinct-2; greedy without its ban loops."""
    data = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
    with open(os.path.join(data, "kjv.valid.raw.txt"), encoding="utf-8") as handle:
        verses = [line for line in handle if "Moses" in line or "LORD" in line]
    model = nextword.load(cased)
    stream = [token for line in verses for token in model.tokenize(line) + ["<eol>"]]
    starts = np.linspace(0, len(stream) - 60, 24).astype(int)

    def words(tokens):
        return [token.lower() for token in tokens if token[:1].isalnum()]

    held_out = [words(stream[s + 4:s + 54]) for s in starts]
    low_rep, high_rep = np.percentile([repeated_ngrams(w) for w in held_out], [10, 90])
    low_dist, high_dist = np.percentile([distinct(w) for w in held_out], [10, 90])

    def figures(**settings):
        texts = [words(model.generate_tokens(" ".join(stream[s:s + 4]), words=50, seed=i,
                                             **settings)) for i, s in enumerate(starts)]
        return (np.mean([repeated_ngrams(w) for w in texts]),
                np.mean([distinct(w) for w in texts]))

    for strategy in ("greedy", "top-k", "top-p", "beam"):
        rep, dist = figures(strategy=strategy)
        assert low_rep <= rep <= high_rep and low_dist <= dist <= high_dist, strategy
    rep, dist = figures(strategy="greedy", repetition_penalty=1.0, no_repeat_ngram=0)
    assert rep > high_rep  # what the defaults prevent


# ----- the page, in a real browser -------------------------------------------------------------
@pytest.mark.slow
def test_the_page_shows_a_phrase_and_tab_takes_it(phrasal):
    from test_server import served_page

    with served_page(phrasal) as (page, _):
        box = page.locator("#text")
        box.click()
        box.press_sequentially("the quick ", delay=15)
        page.locator("#ghost .rest", has_text="brown fox jumps").wait_for(timeout=10_000)
        assert page.locator("#suggestions li .word").first.inner_text() == "brown"  # chips
        box.press("Control+ArrowRight")  # one word of it
        page.wait_for_function("() => document.getElementById('text').value === "
                               "'the quick brown '", timeout=10_000)
        page.locator("#ghost .rest", has_text="fox jumps").wait_for(timeout=10_000)
        box.press("Tab")  # the rest of it (six words on from here, or what was left)
        page.wait_for_function("() => document.getElementById('text').value.startsWith("
                               "'the quick brown fox jumps over the lazy ')", timeout=10_000)


def test_a_threshold_with_too_few_phrases_is_passed_over_in_calibration():
    measured = phrases.Measured(400, {0.5: 60, 0.8: 30, 0.9: 5}, {0.5: 45, 0.8: 28, 0.9: 1},
                                {0.5: 0, 0.8: 0, 0.9: 0}, {0.5: {}, 0.8: {}, 0.9: {}})
    assert measured.calibrated(0.7) == 0.5  # 0.9's one exact phrase in five tells nothing
    assert measured.calibrated(0.95) is None and measured.most_precise() == 0.8


def test_calibration_reads_the_held_out_text_at_word_starts_after_their_line():
    from nextword.text.vocab import EOL_ID
    from nextword.training.calibration import held_out_cases
    from nextword.training.windows import Windows

    # Lines of seven tokens, 10 + n % 9 first: "2 10 20 30 31 32 33 34 2 11 20 ..."
    text = [EOL_ID] + [t for n in range(300) for t in (10 + n % 9, 20, 30, 31, 32, 33, 34, EOL_ID)]
    windows = Windows(np.array(text), 6, 0.25, seed=3)
    is_word = np.ones(40, dtype=bool)
    cases = held_out_cases(windows, is_word)
    held = set(windows.held_out_targets().tolist())
    assert len(cases) > 50
    for context, truth in cases:
        # Somewhere in the text: the context from its line's start, the truth right after it,
        # to the line's end or the word after the longest phrase, all of it held out.
        assert context[0] == EOL_ID and EOL_ID not in context[1:] and EOL_ID not in truth[:-1]
        assert truth[-1] == EOL_ID or len(truth) == phrases.MAX_WORDS  # every token a word
        at = next(i for i in range(len(text)) if text[i - len(context):i] == context
                  and text[i:i + len(truth)] == truth and set(range(i, i + len(truth))) <= held)
        assert at > 0
    fewer = held_out_cases(windows, is_word, max_word_starts=10)
    assert len(fewer) == 10 and fewer[0] == cases[0]


def test_training_calibrates_the_phrase_threshold_on_held_out_text(tmp_path, monkeypatch):
    from nextword.config import Config
    from nextword.training import calibration
    from nextword.training.pipeline import train

    monkeypatch.setattr(calibration, "MIN_WORD_STARTS", 40)  # the tiny corpus's held-out text
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog .\n" * 200
                      + "".join(f"i saw the {a} today .\n" for a in ANIMALS * 20))
    path = str(tmp_path / "calibrated.keras")
    config = Config(units=32, embedding_dim=16, sequence_length=8, batch_size=16, epochs=6,
                    learning_rate=0.01, max_minutes=0, ngram_order=3, min_count=1, dropout=0.0,
                    mixed_precision=False, seed=1)
    logged = []
    result = train([str(corpus)], config, path, verbose=0, log=logged.append)
    # The phrases after "the quick" and "i saw" are certain and right: the lowest threshold
    # of the grid keeps 70% exact.
    assert result.phrase_threshold == phrases.CALIBRATION_THRESHOLDS[0], logged
    assert result.phrase_precision >= phrases.TARGET_PRECISION and result.phrase_rate > 0
    assert any(line.startswith("phrases: threshold 0.20") for line in logged)
    model = nextword.load(path)
    assert model.phrase_threshold == result.phrase_threshold
    assert model.describe()["phrase threshold"] == result.phrase_threshold
    info = run("info", "-m", path).stdout
    assert "phrase threshold\t0.2" in info and "phrases exact on held-out text\t" in info


def test_where_no_threshold_is_precise_enough_only_the_surest_phrases_are_offered(model):
    context = model.encode("the quick")
    right = [(context, model.encode("brown fox jumps over the lazy dog .")[1:])] * 30
    wrong = [(context, model.encode("brown dog today .")[1:])] * 30
    found = phrases.calibrate(model, right)
    assert found.reached and found.threshold == phrases.CALIBRATION_THRESHOLDS[0]
    assert found.precision == 1.0 and found.rate == 1.0
    found = phrases.calibrate(model, wrong)  # "brown fox ..." offered, and never right
    assert not found.reached and found.threshold == max(phrases.CALIBRATION_THRESHOLDS)
    assert found.best[1] == 0.0
    assert phrases.calibrate(model, [(model.encode("i saw the"), [2])] * 30) is None  # none


def test_a_calibration_that_fails_or_is_interrupted_never_costs_the_model(tmp_path, monkeypatch):
    from nextword.config import Config
    from nextword.training import calibration, pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calibration, "MIN_WORD_STARTS", 40)
    monkeypatch.setattr(pipeline, "calibrate_phrases", interrupted)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog .\n" * 300)
    path = str(tmp_path / "kept.keras")
    logged = []
    result = pipeline.train([str(corpus)], Config(units=16, embedding_dim=8, sequence_length=8,
                                                  epochs=1, max_minutes=0, ngram_order=2,
                                                  min_count=1, mixed_precision=False),
                            path, verbose=0, log=logged.append)
    assert result.phrase_threshold is None and os.path.exists(path)
    assert any("not calibrated (KeyboardInterrupt)" in line for line in logged), logged
    assert nextword.load(path).phrase_threshold == phrases.DEFAULT_THRESHOLD
