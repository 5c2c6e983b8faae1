"""`nextword complete`, and keystroke savings (`evaluate --keystrokes`) against a typist."""

import json

import numpy as np
import pytest
from cli_helpers import assert_one_line_error, run
from test_predictor import save_model


def test_complete_lists_words_that_begin_with_the_typed_part(trained):
    result = run("complete", "and the ea", "-m", trained[0], "-k", "50")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows and all(word.startswith("ea") for word, _ in rows)
    assert "earth" in [word for word, _ in rows]
    assert sum(float(p) for _, p in rows) == pytest.approx(1.0, abs=1e-3)


def test_complete_after_a_space_prints_the_words_predict_prints(trained):
    """The next words a keyboard shows are predict's words: punctuation is typed."""
    def words(result):
        return [line for line in result.stdout.splitlines() if line[:1].isalnum()][:5]

    completed = run("complete", "and the earth ", "-m", trained[0])
    assert completed.exit_code == 0
    assert completed.stdout.splitlines() == words(run("predict", "and the earth", "-m",
                                                      trained[0], "-k", "20"))
    assert run("complete", "", "-m", trained[0]).stdout.splitlines() == \
        words(run("predict", "", "-m", trained[0], "-k", "20"))


# No word of the model or of the spelling list begins with "xqzv" or "qqq".
@pytest.mark.parametrize("text", [", .", "and the xqzv", "qqq"])
def test_complete_without_candidates_or_of_punctuation(trained, text):
    result = run("complete", text, "-m", trained[0])
    assert result.exit_code == 0 and result.stderr == ""
    if text == ", .":
        assert len(result.stdout.splitlines()) == 5
    else:
        assert result.stdout == ""


def test_complete_very_long_text(trained):
    text = "and the earth was without form , and void ; " * 2300 + "and the ea"
    assert len(text) > 100_000
    result = run("complete", text, "-m", trained[0])
    assert result.exit_code == 0, result.output
    assert all(line.startswith("ea") for line in result.stdout.splitlines())


def test_complete_bad_k_and_unknown_context(trained):
    assert_one_line_error(run("complete", "and the ea", "-m", trained[0], "-k", "0"),
                          "-k/--top-k must be at least 1, got 0")
    unknown = run("complete", "zebra quokka ea", "-m", trained[0])  # every keystroke answered
    assert unknown.exit_code == 0 and unknown.stderr == ""
    assert "earth" in [line.split("\t")[0] for line in unknown.stdout.splitlines()]


def test_complete_interactive(trained):
    result = run("complete", "-i", "-k", "2", "-m", trained[0], input="and the ea\nand god \n")
    assert result.exit_code == 0, result.output
    first, second = result.stdout.strip("\n").split("\n\n")
    assert all(line.startswith("ea") for line in first.splitlines())
    assert len(second.splitlines()) == 2


# ----- keystroke savings ----------------------------------------------------------------------
LINES = ["and the lord said , and god said .", "the lord and the land .",
         "and god said the lordship .", "the lords said and god ."]


def brute_force_keystrokes(predictor, lines, suggestions):
    """The typist of the tokens convention, asking Predictor.complete (no corrections, case
    folded, the model's words only: not the spelling list's) before every keystroke; each
    finished line goes into the predictor's short-range cache, as in one session."""
    used = total = 0
    predictor.recent.clear()
    for line in lines:
        tokens = line.split()
        for position, word in enumerate(tokens):
            total += len(word) + 1
            context = " ".join(tokens[:position])
            cost = len(word) + 1
            for typed in range(len(word)):
                text = (context + " " if context else "") + word[:typed]
                offered = [(w, p) for w, p in predictor.complete(text, suggestions + 5,
                                                                 correct=False)
                           if w.lower() in predictor.vocabulary.index][:suggestions] if typed \
                    else predictor.predict(context, suggestions)  # punctuation offered too
                if word in [w.lower() for w, _ in offered]:
                    cost = typed + 1
                    break
            used += cost
        predictor.recent.add(predictor.encode(line)[1:])
    return used, total


@pytest.mark.parametrize("ngram_order,recent_weight", [(0, 0.0), (3, 0.0), (3, 0.3)])
def test_tokens_convention_equals_a_typist_asking_complete(tmp_path, ngram_order,
                                                          recent_weight):
    import nextword
    from nextword.engine.keystrokes import simulate

    predictor = nextword.load(save_model(tmp_path / "m.keras", ngram_order),
                              recent_weight=recent_weight)
    lines = LINES + ["the zebra said ."]  # an unknown word: never offered, typed in full
    text = tmp_path / "typed.txt"
    text.write_text("\n".join(lines) + "\n")
    results = simulate(predictor, [str(text)], [1, 2, 3], convention="tokens")
    for n in (1, 2, 3):
        used, total = brute_force_keystrokes(predictor, lines, n)
        assert (results[n].keystrokes, results[n].keystrokes_without) == (used, total)
        assert results[n].words == sum(len(line.split()) for line in lines)
    assert 0 < results[1].savings <= results[2].savings <= results[3].savings < 1


def test_evaluate_keystrokes_json_and_text(trained, corpus_file):
    result = run("evaluate", corpus_file, "-m", trained[0], "--keystrokes", "--json",
                 "--suggestions", "2")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["suggestions"] == 2 and 0.3 < report["keystroke_savings"] < 1
    assert report["tokens"] == 588
    text = run("evaluate", corpus_file, "-m", trained[0], "--keystrokes")
    assert text.stdout.splitlines()[-1].startswith("keystroke savings\t")
    assert_one_line_error(run("evaluate", corpus_file, "-m", trained[0], "--keystrokes",
                              "--suggestions", "0"), "--suggestions must be at least 1, got 0")


def test_recent_words_are_suggested_sooner(tmp_path):
    import nextword
    from nextword.engine.recent import RecentWords

    cache = RecentWords(0.5, size=4, half_life=1.0)
    cache.add([5, 6, 7, 8, 9])  # 5 falls out: four remembered
    ids, weights = cache.cache([9])
    assert list(ids) == [6, 7, 8, 9] and weights.sum() == pytest.approx(1.0)
    assert weights[-1] > weights[-2] > weights[0]  # recent and repeated weigh most
    mixed = cache.mix(np.full(12, 1 / 12, dtype=np.float32))
    assert mixed.sum() == pytest.approx(1.0, abs=1e-6) and mixed[9] > mixed[6] > mixed[0]
    path = save_model(tmp_path / "m.keras", 3)
    plain, cached = nextword.load(path), nextword.load(path, recent_weight=0.3)
    last = plain.predict("the", k=len(plain.vocabulary))[-1][0]
    cached.recent.add(cached.encode(f"the {last} said")[1:])  # a line the user finished
    # The cache weighs by what it holds: one short line is no evidence yet...
    assert [w for w, _ in cached.predict("and", k=20)].index(last) == \
        [w for w, _ in plain.predict("and", k=20)].index(last)
    for _ in range(30):  # ... a session of them is
        cached.recent.add(cached.encode(f"the {last} said")[1:])
    rank = [w for w, _ in cached.predict("and", k=20)].index(last)
    assert rank < [w for w, _ in plain.predict("and", k=20)].index(last)
    assert "said" in [w for w, _ in cached.complete("and the sa", k=3)]
    # Learning a line puts it in the cache too.
    learner = nextword.load(path, recent_weight=0.3)
    learner.learn(f"the {last} said")
    assert len(learner.recent) == 3
