"""The keyboard engine: every keystroke answered, words in the case the text needs, typos
forgiven (and the guards against wrong corrections), the recent-words cache kept in its
place, and keystroke savings counted as a typist spends keystrokes."""

import json
from collections import Counter

import pytest
from cli_helpers import run
from fastapi.testclient import TestClient

import nextword
from nextword.engine.suggestions import Suggestion
from nextword.text.casing import (
    AFTER,
    PLACE,
    TITLED,
    SurfaceForms,
    count_forms,
    sentence_starts,
)
from nextword.text.tokenize import fold, surface_tokens, tokenize


@pytest.fixture
def keyboard(cased):
    return nextword.load(cased)


def words(suggestions):
    return [s.word if isinstance(s, Suggestion) else s[0] for s in suggestions]


# ----- how words are written ---------------------------------------------------------------------
def test_cutting_then_folding_gives_the_tokens_of_the_folded_text():
    for line in ["THE LORD'S house, O LORD.", "Moses' rod", "It's JOHN'S", "naïve Café"]:
        assert fold(surface_tokens(line)) == tokenize(line, lowercase=True)


def test_forms_are_counted_away_from_a_sentence_start():
    tokens = surface_tokens("And Moses said. And the LORD spake unto Moses, and I went.")
    assert sentence_starts(tokens)[:2] == [True, False]
    forms, first, capitals = count_forms(tokens)
    assert forms == {"Moses": 2, "LORD": 1, "I": 1} and first == {"and": 2}
    assert {key: n for key, n in capitals.items() if key[1] not in (PLACE, TITLED)} \
        == {("spake", AFTER): 1}  # after "LORD", not in capitals
    assert capitals[".", PLACE] == 1 and capitals[".", TITLED] == 1  # ". And": a capital
    assert capitals["moses ,", PLACE] == 1 and capitals["moses ,", TITLED] == 0
    # A name after a mark says nothing of the place: "Moses" is written so after a word.
    _, _, capitals = count_forms(surface_tokens("And I saw Moses. Moses went, Moses said."))
    assert capitals[".", PLACE] == 0 and capitals[",", PLACE] == 0


def test_a_capital_after_a_mark_follows_the_corpus():
    # After "said," a speech begins with a capital; after "?" this corpus goes on in lowercase.
    text = ("And he said, Behold the man, and the woman. Who is he? and where? and why? or how? "
            "behold and behold and behold.\n") * 6
    tokens = surface_tokens(text, newlines=True)
    counts = Counter(fold(tokens))
    forms = SurfaceForms.build(sorted(set(fold(tokens))), counts, *count_forms(tokens))
    assert forms.places["said ,"] == [6, 6] and forms.places[","] == [6, 12]
    assert forms.places["?"] == [0, 24]
    assert "man ," not in forms.places  # decides as "," alone does: not kept
    assert forms.begins_here(surface_tokens("And Moses said,"))
    assert not forms.begins_here(surface_tokens("And Moses spake,"))
    assert not forms.begins_here(surface_tokens("Who is he?"))
    assert forms.begins_here(surface_tokens("Who is he."))
    assert forms.write(["and", "he", "said", ",", "behold", "?", "and"]) \
        == ["And", "he", "said", ",", "Behold", "?", "and"]
    again = SurfaceForms.from_bytes(forms.to_bytes())
    assert again.places == forms.places and forms.merged(forms).places["?"] == [0, 48]
    assert SurfaceForms().begins_here(surface_tokens("Who is he?"))  # no places: the rule


def test_capitals_follow_the_place_the_corpus_writes_them_in():
    speech = "GLOUCESTER:\nNow is the winter.\n\nDUKE VINCENTIO:\nGood morrow, Gloucester.\n"
    tokens = surface_tokens(speech * 3, newlines=True)
    counts = Counter(fold(tokens))
    forms = SurfaceForms.build(["gloucester", "duke", "vincentio", "good"], counts,
                               *count_forms(tokens))
    assert forms.capitals["gloucester"] == [3, 3, 0, 0]  # begins 3 sentences, in capitals
    assert forms.capitals["vincentio"] == [0, 0, 3, 3]  # after "DUKE", always in capitals
    assert forms.write(["gloucester", ":", "<eol>", "good", "morrow", ",", "gloucester", "."]) \
        == ["GLOUCESTER", ":", "<eol>", "Good", "morrow", ",", "Gloucester", "."]
    assert forms.write(["duke", "vincentio", ":"]) == ["DUKE", "VINCENTIO", ":"]
    again = SurfaceForms.from_bytes(forms.to_bytes())
    assert again.capitals == forms.capitals and again.forms == forms.forms
    assert forms.merged(forms).capitals["vincentio"] == [0, 0, 6, 6]


def test_the_form_follows_the_typed_case_and_the_corpus():
    forms = SurfaceForms({"lord": [("LORD", 60), ("Lord", 9), ("lord", 2)],
                          "moses": [("Moses", 8)], "i": [("I", 70)],
                          "for": [("for", 1275), ("FOR", 1)]})
    cases = {("moses", "Mo"): "Moses", ("moses", "MO"): "MOSES", ("moses", "mo"): "Moses",
             ("lord", "lo"): "lord", ("lord", "Lo"): "Lord", ("lord", "LO"): "LORD",
             ("lord", "L"): "LORD", ("lord", "Lrod"): "Lord", ("i", "I"): "I",
             ("the", "Th"): "The", ("the", "th"): "the",
             ("for", "F"): "For", ("for", "FO"): "FOR"}  # "FOR" once in a title
    for (word, typed), written in cases.items():
        assert forms.cased(word, typed=typed) == written, (word, typed)
    assert forms.cased("lord") == "LORD" and forms.cased("the", start=True) == "The"
    assert forms.write(["and", "i", "said", ".", "the", "lord", "<eol>", "moses"]) == \
        ["And", "I", "said", ".", "The", "LORD", "<eol>", "Moses"]
    assert SurfaceForms.from_bytes(forms.to_bytes()).forms == forms.forms


def test_a_speech_after_said_begins_with_a_capital(keyboard):
    assert keyboard.forms.places["saying ,"][0] > 0.9 * keyboard.forms.places["saying ,"][1]
    after_saying = words(keyboard.suggest("And the LORD spake unto Moses, saying, ", 3))
    assert all(word[:1].isupper() for word in after_saying)
    assert words(keyboard.suggest("And the LORD spake unto Moses, saying, S", 3))[0][0] == "S"
    assert "and" in words(keyboard.suggest("And Moses went, ", 3))


def test_suggestions_come_in_the_case_the_text_needs(keyboard):
    assert words(keyboard.suggest("And the Lord said unto Mo", 3))[0] == "Moses"
    assert words(keyboard.suggest("And the Lord said unto MO", 3))[0] == "MOSES"
    assert "LORD" in words(keyboard.suggest("And the L", 5))
    assert all(w[:1].isupper() for w in words(keyboard.predict("", 5)) if w.isalpha())
    after_a_sentence = words(keyboard.predict("And Moses went up.", 5))
    assert all(w[:1].isupper() for w in after_a_sentence if w.isalpha())
    assert keyboard.forms.cased("moses") == "Moses" and keyboard.forms.cased("i") == "I"


def test_generated_text_is_written_as_the_corpus_writes_it(keyboard):
    text = keyboard.generate("And the LORD spake unto", words=30, strategy="greedy")
    assert "moses" not in text.split() and " i " not in f" {text} "
    for line in text.split("\n")[1:]:
        assert not line or not line[0].isalpha() or line[0].isupper()


def test_a_keep_case_model_keeps_its_own_forms(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("DUKE VINCENTIO: Good morrow, I pray.\nIt is I, said the Duke.\n" * 40)
    path = str(tmp_path / "k.keras")
    nextword.train(str(corpus), path, lowercase=False, units=8, embedding_dim=8,
                   sequence_length=8, batch_size=8, epochs=1, max_minutes=0, ngram_order=2,
                   min_count=1, mixed_precision=False)
    model = nextword.load(path)
    assert not model.forms.forms and "DUKE" in model.vocabulary.index
    assert "Duke" in words(model.suggest("said the Du", 3))


def test_learning_counts_how_the_user_writes(keyboard):
    keyboard.learn("I met Zorblax at the gate.\nZorblax said unto me, go.")
    assert words(keyboard.suggest("and zor", 1)) == ["Zorblax"]


# ----- every keystroke answered ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["Hello wor", "teh lord", "Zebra quokka ", "xqz xqz xqz",
                                  "!!!", "¿Qué? ", "今天天气"])
def test_text_the_model_never_saw_gets_an_answer(keyboard, text):
    assert isinstance(keyboard.suggest(text, 3), list)
    assert len(keyboard.predict(text, 3)) == 3


def test_unknown_words_answered_on_the_command_line_and_the_server(cased):
    completed = run("complete", "Hello wor", "-m", cased)
    assert completed.exit_code == 0 and completed.stdout
    from nextword.serve.app import create_app

    client = TestClient(create_app(nextword.load(cased)))
    answer = client.post("/v1/complete", json={"text": "Hello wor"})
    assert answer.status_code == 200 and answer.json()["suggestions"]
    predicted = client.post("/v1/predict", json={"prefix": "zebra quokka"})
    assert predicted.status_code == 200 and len(predicted.json()["suggestions"]) == 5


# ----- typos forgiven -----------------------------------------------------------------------
def test_a_finished_typo_is_corrected_and_the_next_words_follow_the_correction(keyboard):
    found = keyboard.suggest("and the lrod ", 5)
    assert (found[0].word, found[0].kind, found[0].replace) == ("LORD", "correction", 5)
    assert found[0].autocorrect
    assert found[1:] and {s.kind for s in found[1:]} == {"next"}
    assert words(found[1:]) == words(keyboard.suggest("and the LORD ", 4))


def test_a_finished_word_of_three_letters_is_corrected_two_edits_away(keyboard, monkeypatch):
    from nextword.engine import correction

    assert "said" in words(keyboard.corrections("And Moses ", "sed", 3))  # as "gud" is "good"
    monkeypatch.setattr(correction, "TWO_EDITS_FINISHED_FROM", 4)
    assert "said" not in words(keyboard.corrections("And Moses ", "sed", 3))


def test_a_known_word_is_offered_with_the_word_it_may_have_meant(keyboard, monkeypatch):
    from nextword.engine import suggestions

    # "unto" is a word, likely enough where it stands; "into" is one key away.
    found = keyboard.corrections("And Moses went ", "unto", 3)
    assert words(found)[:2] == ["unto", "into"]
    assert [s.kind for s in found[:2]] == ["completion", "correction"]
    assert "into" in words(keyboard.suggest("And Moses went unto", 3))
    assert keyboard.suggest("And Moses went unto ", 3)[0].kind == "next"  # never replaced
    # A word the model finds likely is never autocorrected, even behind a likelier neighbour.
    monkeypatch.setattr(suggestions, "CORRECT_BELOW", 1e-12)
    found = keyboard.corrections("And the LORD spake ", "into", 3)
    assert words(found)[:2] == ["unto", "into"] and not found[0].autocorrect


def test_the_typed_text_kept_as_an_answer_has_its_chance(keyboard):
    found = keyboard.suggest("and the lrod", 3)
    assert (found[-1].word, found[-1].kind) == ("lrod", "completion")
    assert 0.0 < found[-1].probability < found[0].probability
    assert sum(s.probability for s in found) <= 1.0 + 1e-9


def test_a_word_is_completed_through_a_typo(keyboard):
    found = keyboard.suggest("and the lro", 5)
    assert found[0].word.lower() == "lord" and found[0].kind == "correction"
    assert found[0].replace == 3
    assert found[-1].word == "lro" and found[-1].kind == "completion"  # kept as typed


@pytest.mark.parametrize("typed", ["l0rd", "LROD", "www.lrod.com", "lrod@example.org"])
def test_guarded_words_are_never_autocorrected(keyboard, typed):
    assert not any(s.autocorrect for s in keyboard.suggest(f"and the {typed} ", 5))


def test_a_word_the_user_taught_is_never_autocorrected(cased):
    model = nextword.load(cased)
    assert model.suggest("and the lrod ", 1)[0].autocorrect
    model.learn("the lrod of the manor")
    assert not any(s.autocorrect for s in model.suggest("and the lrod ", 5))


def test_a_word_of_the_language_the_model_never_saw_is_offered_a_correction_not_changed(
        keyboard, monkeypatch):
    from nextword.text import spelling

    assert "lore" not in keyboard.vocabulary.index and spelling.spelled_right("lore")
    offered = keyboard.suggest("and the lore ", 3)
    assert offered[0].word == "LORD" and offered[0].kind == "correction"
    assert not offered[0].autocorrect
    assert keyboard.suggest("and the lrod ", 3)[0].autocorrect  # not a word: corrected
    monkeypatch.setattr(spelling, "spelled_right", lambda word, language="en": False)
    assert keyboard.suggest("and the lore ", 3)[0].autocorrect  # what the list prevents


def test_a_learned_line_extends_the_speller_to_what_a_fresh_one_would_be(cased):
    from nextword.engine.correction import Speller

    model = nextword.load(cased)
    assert model.suggest("and the lrod ", 1)[0].autocorrect  # the speller's tables are built
    model.speller.candidates("lrodd", completing=False)
    model.learn("the quokkas and the wombats of Rottnest")
    extended = model.speller
    fresh = Speller(model.vocabulary.tokens)
    assert {k: (i, sorted(w)) for k, (i, w) in extended.table.items()} \
        == {k: (i, sorted(w)) for k, (i, w) in fresh.table.items()}
    assert {k: sorted(w) for k, w in extended.deletes.items()} \
        == {k: sorted(w) for k, w in fresh.deletes.items()}
    assert "wombats" in words(model.corrections("and the ", "wonbats", 3))


def test_a_typo_of_a_word_the_model_never_saw_is_corrected_from_the_spelling_list(keyboard):
    assert "protesting" not in keyboard.vocabulary.index
    assert keyboard.corrections("I am ", "protesing", 3)[0].word == "protesting"
    assert keyboard.corrections("", "Protesing", 3)[0].word == "Protesting"
    offered = keyboard.suggest("and I am protesing ", 3)
    assert (offered[0].word, offered[0].kind) == ("protesting", "correction")
    assert offered[1].kind == "next"  # the next words follow it


def test_a_word_the_model_never_saw_is_completed_from_the_spelling_list(keyboard):
    assert "protesting" not in keyboard.vocabulary.index
    found = keyboard.suggest("and I am protestin", 3)
    assert (found[0].word, found[0].kind, found[0].replace) == ("protesting", "completion", 9)
    assert keyboard.suggest("And Protestin", 3)[0].word == "Protesting"  # as typed
    lord = keyboard.suggest("and the LORD sa", 3)  # the model's words come first
    assert all(s.word.lower() in keyboard.vocabulary.index for s in lord)
    assert all(s.word != "protesting" for s in keyboard.suggest("and I am pr", 5))  # 3 letters


def test_the_spelling_list_serves_only_a_vocabulary_of_its_language():
    from nextword.text import spelling

    english = ["the", "and", "of", "to", "lord", "unto", "said", "house", "king", "land"]
    logs, offset = spelling.outside(english)
    assert -20 < logs["protesting"] + offset < logs["protest"] + offset < 0
    german = ["der", "und", "die", "nicht", "ist", "mit", "sich", "dem", "auch", "sie"]
    assert spelling.outside(german) is None


def test_a_forgotten_word_of_the_spelling_list_stays_forgotten(cased, tmp_path):
    import shutil

    path = str(tmp_path / "model.keras")
    shutil.copy(cased, path)
    model = nextword.load(path)
    assert model.forget(["protesting"]) == ["protesting"]
    assert "protesting" not in words(model.corrections("I am ", "protesing", 5))
    assert "protesting" not in words(model.suggest("I am protestin", 5))
    assert "protesting" in model.blocked_words
    model.save()
    again = nextword.load(path)
    assert "protesting" not in words(again.corrections("I am ", "protesing", 5))
    again.learn("I am protesting")  # learned later: still blocked
    assert "protesting" not in words(again.suggest("I am protest", 5))
    again.reset_learning()  # and after what was learned is dropped
    assert "protesting" not in words(again.corrections("I am ", "protesing", 5))
    assert again.unforget(["protesting"]) == ["protesting"]
    assert "protesting" in words(again.corrections("I am ", "protesing", 5))
    again.learn("I am protesting")
    assert "protesting" in words(again.suggest("I am protest", 5))
    with pytest.raises(nextword.NextwordError):
        again.forget(["xqzvwk"])  # neither a word of the model nor of the list


def test_a_likely_word_is_left_alone_and_no_correct_turns_corrections_off(keyboard):
    assert all(s.kind == "next" for s in keyboard.suggest("and the LORD ", 5))
    assert all(s.kind != "correction" for s in keyboard.suggest("and the lrod ", 5,
                                                                 correct=False))
    assert all(s.kind != "correction" for s in keyboard.suggest("and the lro", 5,
                                                                 correct=False))


def test_the_command_line_marks_corrections(cased):
    result = run("complete", "and the lrod ", "-m", cased, "-k", "3")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0][0] == "LORD" and rows[0][2] == "autocorrect"
    assert all(len(row) == 2 for row in rows[1:])
    plain = run("complete", "and the lrod ", "-m", cased, "-k", "3", "--no-correct")
    assert all(len(line.split("\t")) == 2 for line in plain.stdout.splitlines())


def test_the_server_says_what_each_suggestion_is(cased):
    from nextword.serve.app import create_app

    client = TestClient(create_app(nextword.load(cased)))
    answer = client.post("/v1/complete", json={"text": "and the lrod "}).json()
    first = answer["suggestions"][0]
    assert first == {"word": "LORD", "probability": first["probability"],
                     "kind": "correction", "replace": 5, "autocorrect": True}
    assert answer["suggestions"][1]["kind"] == "next"
    plain = client.post("/v1/complete", json={"text": "and the lrod ", "correct": False})
    assert all(s["kind"] == "next" for s in plain.json()["suggestions"])
    shown = client.post("/v1/complete", json={"text": "and the LORD s", "k": 3}).json()
    passed = [s["word"] for s in shown["suggestions"]]
    others = client.post("/v1/complete", json={"text": "and the LORD sa", "k": 3,
                                               "passed": passed}).json()["suggestions"]
    assert others and not {s["word"] for s in others} & set(passed)


# ----- the recent-words cache ---------------------------------------------------------------------
def test_the_cache_never_pushes_the_words_just_typed_above_the_model(cased):
    cached, plain = nextword.load(cased), nextword.load(cased, recent_weight=0)
    for prefix in ["and the LORD said", "and Moses went", "I will"]:
        assert words(cached.predict(prefix, 1)) == words(plain.predict(prefix, 1))
    assert cached.recent.weight_for(2) < 0.02 * cached.recent.weight_for(400) / 0.8


# ----- keystroke savings as typed ---------------------------------------------------------------
def brute_force_typist(predictor, lines, n, pass_over=True):
    """The raw convention's typist, asking Predictor.suggest before every keystroke (with the
    completions shown since the word's first letter passed over, when pass_over)."""
    from nextword.engine.completion import WORD_START
    from nextword.engine.recent import RecentWords

    predictor.recent = RecentWords(predictor.recent.weight)
    used = total = 0
    for line in lines:
        total += len(line)
        tokens = surface_tokens(line)
        at, spaced = 0, False
        for token in tokens:
            start = line.index(token, at)
            gap = line[at:start]  # spaces between tokens
            for character in gap:
                if spaced and character == " ":
                    spaced = False
                    continue
                used += 1
            at = start
            if WORD_START.match(token):
                if spaced:  # a word right after a taken word, no space: delete it
                    used, spaced = used + 1, False
                taken, passed = False, set()
                for typed in range(len(token)):
                    shown = predictor.suggest(line[:start + typed], n, passed=passed)
                    offered = [s.word for s in shown if typed or s.kind != "correction"]
                    if token in offered:
                        used, taken = used + typed + 1, True
                        break
                    if typed and pass_over:
                        passed |= {s.word for s in shown}
                if not taken:
                    used += len(token)
                    follows = line[start + len(token):start + len(token) + 1]
                    if follows == " ":
                        fixed = predictor.suggest(line[:start + len(token) + 1], n)
                        used += 1 + bool(fixed and fixed[0].autocorrect)
                        at = start + len(token) + 1
                        spaced = False
                        continue
                spaced = taken
            else:  # punctuation: typed; after a taken word it goes before the space,
                used += len(token)  # and an apostrophe ('S) joins the taken word
                if token[:1] in ("'", "’"):
                    spaced = False
            at = start + len(token)
        predictor.recent.add(predictor.encode(line)[1:])
    return used, total


def test_the_raw_typist_equals_a_brute_force_typist(cased, tmp_path):
    from nextword.engine.keystrokes import simulate

    lines = ["And the LORD spake unto Moses, saying,",
             "Speak unto the children of Israel, that they bring me an offering.",
             "And Moses' rod; the LORD'S house: Zorblax went up.", "Amen."]
    text = tmp_path / "typed.txt"
    text.write_text("\n".join(lines) + "\n")
    predictor = nextword.load(cased)
    for pass_over in (True, False):
        results = simulate(predictor, [str(text)], [1, 3], pass_over=pass_over)
        for n in (1, 3):
            used, total = brute_force_typist(nextword.load(cased), lines, n, pass_over)
            assert (results[n].keystrokes, results[n].keystrokes_without) == (used, total), n
        assert 0 < results[1].savings < results[3].savings < 1
        assert results[3].case_right > 0.8


def test_completions_passed_over_are_not_shown_again_for_the_word(keyboard):
    first = keyboard.suggest("and the LORD s", 3)
    assert all(s.kind == "completion" for s in first)
    again = keyboard.suggest("and the LORD sa", 3, passed=[s.word for s in first])
    assert again and not {s.word.lower() for s in again} & {s.word.lower() for s in first}
    assert all(s.word.lower().startswith("sa") for s in again)
    assert words(keyboard.suggest("and the LORD sa", 3, passed=["SAID"]))[0].lower() != "said"
    after = keyboard.suggest("and the LORD ", 3, passed=["said"])  # a new word: all shown
    assert words(after) == words(keyboard.suggest("and the LORD ", 3))


def test_a_keyboard_of_n_slots_is_asked_for_n_suggestions():
    from nextword.engine.typist import Typist

    ranking = ["bread", "brick", "brim", "bring", "brown"]

    def suggest(text, k):  # the typed part takes the last slot, as nextword's literal does
        typed = text.rsplit(" ", 1)[-1]
        fits = [w for w in ranking if w.startswith(typed)]
        shown = fits[:k - 1] + ([typed] if typed else fits[k - 1:k])
        return [Suggestion(w, 0.1, "completion", len(typed), False) for w in shown]

    lines = ["bring bread"]
    alone = Typist(suggest, str.split, [3]).type_lines(lines)
    together = Typist(suggest, str.split, [3, 5]).type_lines(lines)
    assert alone.keystrokes[3] == together.keystrokes[3]
    assert together.keystrokes[5] < together.keystrokes[3]


def test_evaluate_reports_both_conventions(cased, tmp_path):

    text = tmp_path / "typed.txt"
    text.write_text("And the LORD spake unto Moses, saying,\n")
    raw = json.loads(run("evaluate", str(text), "-m", cased, "--keystrokes", "--json").stdout)
    tokens = json.loads(run("evaluate", str(text), "-m", cased, "--keystrokes", "--json",
                            "--keystrokes-convention", "tokens").stdout)
    assert raw["keystroke_convention"] == "raw" and tokens["keystroke_convention"] == "tokens"
    assert 0 < raw["keystroke_savings"] < tokens["keystroke_savings"] < 1


# ----- the page, in a real browser -------------------------------------------------------------
@pytest.mark.slow
def test_the_page_writes_moses_and_corrects_a_typo_on_space(cased):
    from test_server import served_page

    with served_page(cased) as (page, _):
        box = page.locator("#text")
        box.click()
        box.press_sequentially("And the Lord said unto Mo", delay=15)
        page.locator("#suggestions li .word", has_text="Moses").wait_for(timeout=10_000)
        assert page.locator("#suggestions li .word").first.inner_text() == "Moses"
        box.press("Tab")
        page.wait_for_function("() => document.getElementById('text').value.endsWith("
                               "'Moses ')", timeout=10_000)
        assert box.input_value() == "And the Lord said unto Moses "
        box.press_sequentially("and the lrod ", delay=15)
        page.wait_for_function("() => document.getElementById('text').value.endsWith("
                               "'the LORD ')", timeout=10_000)  # autocorrected on space
        assert box.input_value() == "And the Lord said unto Moses and the LORD "
        box.press("Backspace")  # undoes the autocorrection: the word as typed
        assert box.input_value() == "And the Lord said unto Moses and the lrod "
        page.wait_for_timeout(500)  # and it stays so
        assert box.input_value() == "And the Lord said unto Moses and the lrod "


@pytest.mark.slow
def test_the_page_sends_the_completions_passed_over_for_the_word(cased):
    from test_server import served_page

    with served_page(cased) as (page, _):
        sent = []
        page.on("request", lambda r: sent.append(json.loads(r.post_data))
                if r.url.endswith("/v1/complete") else None)
        box = page.locator("#text")
        box.click()
        for piece in ["And the LORD ", "s", "p"]:  # each answered before the next
            box.press_sequentially(piece, delay=15)
            page.wait_for_function("t => document.getElementById('suggestions').dataset.text"
                                   " === t", arg=box.input_value(), timeout=10_000)
        at = {body["text"]: body["passed"] for body in sent}
        assert at["And the LORD "] == [] and at["And the LORD s"] == []
        shown_for_s = set(at["And the LORD sp"])
        assert shown_for_s and all(w.lower().startswith("s") for w in shown_for_s)

