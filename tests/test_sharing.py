"""One model file, several processes: writers merge under the file's lock, followers take in
what others wrote, and nothing a user taught or forgot is lost (engine/sharing.py)."""

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from cli_helpers import assert_one_line_error, run

import nextword
from nextword import storage

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tiny-v1.keras")


@pytest.fixture
def model(tmp_path):
    """A copy of the fixture model (a tiny KJV model with two learned lines and one blocked
    word) in its own folder."""
    path = str(tmp_path / "m.keras")
    shutil.copy(FIXTURE, path)
    return path


def lines_of(word, count=40):
    return "".join(f"and the {word} went up unto the mountain , line {i} .\n"
                   for i in range(count))


def suggested(predictor, text):
    return [word for word, _ in predictor.complete(text, 10)]


# ----- writers ---------------------------------------------------------------------------------
def test_two_learners_of_one_file_both_keep_what_they_learned(model):
    """Both loaded the file before either saved: the second save merges, it does not replace
    the file with its own copy of the old one."""
    first, second = nextword.load(model), nextword.load(model)
    before = first.learned["lines"]
    first.learn(lines_of("zorblax"))
    second.learn(lines_of("quuxberry"))
    first.save()
    second.save()
    merged = nextword.load(model)
    assert merged.learned["lines"] == before + 80
    assert {"zorblax", "quuxberry"} <= set(merged.vocabulary.index)
    assert "zorblax" in suggested(merged, "and the zorb")
    assert "quuxberry" in suggested(merged, "and the quux")
    # The second learner now holds the merged state too, and saving again adds nothing.
    assert second.learned == merged.learned
    second.save()
    assert nextword.load(model).learned == merged.learned


@pytest.mark.slow
def test_two_learn_commands_at_once_both_count(model, tmp_path):
    """`nextword learn a.txt & nextword learn b.txt` on one model: 80 lines learned, both."""
    (tmp_path / "a.txt").write_text(lines_of("zorblax"))
    (tmp_path / "b.txt").write_text(lines_of("quuxberry"))
    before = nextword.load(model).learned["lines"]
    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    learners = [subprocess.Popen([script, "learn", str(tmp_path / name), "-m", model],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for name in ("a.txt", "b.txt")]
    for learner in learners:
        out, err = learner.communicate(timeout=120)
        assert learner.returncode == 0, err
        assert "learned\t40 lines" in out
    merged = nextword.load(model)
    assert merged.learned["lines"] == before + 80
    assert {"zorblax", "quuxberry"} <= set(merged.vocabulary.index)
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".nextword-")]


def test_a_word_forgotten_elsewhere_stays_forgotten_through_another_save(model):
    """A server learns while `forget` blocks a word in the file: the server's next save keeps
    the block, and the server itself stops suggesting the word once it takes the file in."""
    server = nextword.load(model)
    server.learn(lines_of("zorblax", 10))
    server.save()
    assert "zorblax" in suggested(server, "and the zorb")
    command = nextword.load(model)
    assert command.forget(["zorblax"]) == ["zorblax"]
    command.save()
    assert server.refresh() is True  # what `serve` does a few times a second
    assert "zorblax" not in suggested(server, "and the zorb")
    server.learn("and the zorblax said unto the people .")  # a later learned line ...
    server.save()  # ... and the save it triggers
    reloaded = nextword.load(model)
    assert "zorblax" in reloaded.blocked_words
    assert "zorblax" not in suggested(reloaded, "and the zorb")
    assert reloaded.learned["lines"] == 2 + 10 + 1


def test_a_save_without_refresh_still_keeps_the_block(model):
    server = nextword.load(model)
    command = nextword.load(model)
    command.forget(["lord"])
    command.save()
    server.learn("the lord said unto abram")  # never refreshed: the save merges anyway
    server.save()
    assert "lord" in nextword.load(model).blocked_words


def test_blocks_are_the_union_and_undo_removes_only_what_it_names(model):
    one, two = nextword.load(model), nextword.load(model)
    one.forget(["lord", "god"])
    one.save()
    two.forget(["abram"])
    two.unforget(["lord"])  # not blocked in its own copy: an undo names it all the same
    two.save()
    assert nextword.load(model).blocked_words == sorted(["smote", "god", "abram"])


def test_reset_in_one_process_drops_what_was_learned_before_it(model):
    one, two = nextword.load(model), nextword.load(model)
    one.learn(lines_of("zorblax", 5))
    one.save()
    two.reset_learning()
    two.learn("the quuxberry said .")
    two.save()
    result = nextword.load(model)
    assert result.learned["lines"] == 1
    assert "zorblax" not in result.vocabulary.index and "quuxberry" in result.vocabulary.index


def test_refresh_of_an_unchanged_file_does_nothing(model):
    predictor = nextword.load(model)
    assert predictor.refresh() is False
    predictor.learn("the zorblax said .")
    predictor.save()
    assert predictor.refresh() is False  # its own write is not another process's


def test_a_file_replaced_by_another_model_is_not_written_over(model, tmp_path):
    predictor = nextword.load(model)
    predictor.learn("the zorblax said .")
    meta = storage.read_meta(model)
    retrained = dict(meta, training=dict(meta["training"], epochs=99))
    storage.rewrite_meta(model, retrained, str(tmp_path / "other.keras"))
    os.replace(tmp_path / "other.keras", model)  # as if trained again into the same file
    replaced = open(model, "rb").read()
    with pytest.raises(nextword.NextwordError, match="now holds another trained model"):
        predictor.save()
    assert open(model, "rb").read() == replaced
    with pytest.raises(nextword.NextwordError, match="was replaced by another trained model"):
        predictor.refresh()


def test_many_threads_learning_and_saving_lose_no_line(model):
    """Four predictors of one file, each learning and saving from its own thread."""
    predictors = [nextword.load(model) for _ in range(4)]
    before = predictors[0].learned["lines"]

    def work(predictor, index):
        for round_ in range(5):
            predictor.learn(f"the word{index}x{round_} went up .")
            predictor.save()

    threads = [threading.Thread(target=work, args=(p, i)) for i, p in enumerate(predictors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = nextword.load(model)
    assert final.learned["lines"] == before + 20
    assert all(f"word{i}x{r}" in final.vocabulary.index for i in range(4) for r in range(5))


# ----- the lock -----------------------------------------------------------------------------------
HOLD_LOCK = """
import sys, time
from nextword import storage
with storage.writing(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_the_lock(path, seconds):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, path, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_writer_that_cannot_get_the_lock_says_so_and_writes_nothing(model, tmp_path):
    (tmp_path / "notes.txt").write_text(lines_of("zorblax", 3))
    before = open(model, "rb").read()
    holder = hold_the_lock(model, 30)
    try:
        env = {"NEXTWORD_LOCK_TIMEOUT": "0.5"}
        learned = run("learn", str(tmp_path / "notes.txt"), "-m", model, env=env)
        assert_one_line_error(learned, f"{model} is being written by another nextword process "
                                       f"(its lock {model}.lock was held for 0.5 s); nothing "
                                       "was written: try again when it has finished")
        assert_one_line_error(run("forget", "lord", "-m", model, env=env),
                              "is being written by another nextword process")
    finally:
        holder.kill()
        holder.wait()
    assert open(model, "rb").read() == before
    assert run("forget", "lord", "-m", model).exit_code == 0  # the lock went with its holder


def test_a_writer_waits_for_the_lock_and_then_merges(model, tmp_path):
    (tmp_path / "notes.txt").write_text(lines_of("zorblax", 3))
    holder = hold_the_lock(model, 1.0)
    started = time.monotonic()
    result = run("learn", str(tmp_path / "notes.txt"), "-m", model)
    holder.wait()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.5
    assert "zorblax" in nextword.load(model).vocabulary.index


# ----- train onto a followed file ---------------------------------------------------------------
FOLLOW = """
import sys, time
from nextword import storage
mark = storage.follow(sys.argv[1])
print("following" if mark else "no mark", flush=True)
time.sleep(60)
"""


def test_train_refuses_to_replace_a_file_a_server_follows(model, tmp_path, corpus_file):
    follower = subprocess.Popen([sys.executable, "-c", FOLLOW, model], stdout=subprocess.PIPE,
                                text=True)
    try:
        assert follower.stdout.readline().strip() == "following"
        before = open(model, "rb").read()
        result = run("train", corpus_file, "-o", model, "--epochs", "1")
        assert_one_line_error(result, f"{model} is in use by a running `nextword serve` or "
                                      "`nextword complete -i --learn`; stop it first, or write "
                                      "the new model to another -o")
        assert open(model, "rb").read() == before
        other = str(tmp_path / "other.keras")
        shutil.copy(model, other)
        learner = nextword.load(other)
        learner.learn("the zorblax said .")
        with pytest.raises(nextword.NextwordError, match="is in use by a running"):
            learner.save(model)  # learn -o onto a followed file: refused too
        assert open(model, "rb").read() == before
    finally:
        follower.kill()
        follower.wait()
    storage.check_not_followed(model)  # the mark went with its process


def test_train_checks_the_mark_before_reading_the_corpus(model, tmp_path):
    mark = storage.follow(model)
    try:
        with pytest.raises(nextword.NextwordError, match="is in use by a running"):
            storage.check_not_followed(model)
    finally:
        mark.release()
        mark.close()
