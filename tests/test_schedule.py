"""`--lr-schedule anneal`: the learning rate held, then lowered to zero by the run's end."""

import time

import pytest
from conftest import TINY

from nextword import Config
from nextword.errors import NextwordError


class FakeOptimizer:
    learning_rate = None


class FakeModel:
    optimizer = FakeOptimizer()


def anneal(epochs, steps, deadline=None, share=0.3, spent=0.0):
    from nextword.training.callbacks import Anneal

    callback = Anneal(0.01, epochs, deadline, share=share, spent=spent)
    callback.set_model(FakeModel())
    callback.set_params({"steps": steps, "epochs": epochs})
    callback.on_train_begin()
    return callback


def rates(callback, epochs, steps, first_epoch=0):
    seen = []
    for epoch in range(first_epoch, epochs):
        callback.on_epoch_begin(epoch)
        for batch in range(steps):
            callback.on_train_batch_begin(batch)
            seen.append(callback.model.optimizer.learning_rate)
    return seen


def test_anneal_holds_then_falls_linearly_to_zero_by_the_last_epoch():
    seen = rates(anneal(10, 10), 10, 10)  # 100 steps: held for 70, then 30 down to zero
    assert seen[:71] == [0.01] * 71
    assert seen[85] == pytest.approx(0.01 * 15 / 30)
    assert seen[-1] == pytest.approx(0.01 / 30) and seen == sorted(seen, reverse=True)


def test_anneal_share_sets_where_the_fall_starts():
    seen = rates(anneal(10, 10, share=0.6), 10, 10)  # held for 40 steps, then 60 down to zero
    assert seen[:41] == [0.01] * 41 and seen[70] == pytest.approx(0.01 * 30 / 60)
    whole = rates(anneal(10, 10, share=1.0), 10, 10)  # falling from the first step
    assert whole[0] == 0.01 and whole[50] == pytest.approx(0.005)
    assert whole == sorted(whole, reverse=True) and whole[-1] == pytest.approx(0.0001)


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_impossible_anneal_share_is_refused(share):
    with pytest.raises(NextwordError, match="--anneal-share must be in"):
        Config(anneal_share=share).validate()


def test_anneal_reaches_zero_by_the_time_limit_when_that_comes_first():
    now = time.time()
    callback = anneal(1000, 10, deadline=now + 3600 * 0.15)
    callback.fit_started = now - 3600 * 0.85  # 85% of the time spent, 0.1% of the steps
    assert rates(callback, 1, 1)[0] == pytest.approx(0.01 * 0.5, rel=1e-3)
    callback.deadline = now - 60  # past the limit
    assert rates(callback, 1, 1)[0] == 0.0


def test_anneal_resumed_goes_on_from_the_time_its_backup_had_spent():
    # A run limited by time, killed after 85% of it and resumed: the rate goes on from there
    # (the deadline moved back by the same time, as training.fit does).
    callback = anneal(1000, 10, deadline=time.time() + 3600 * 0.15, spent=3600 * 0.85)
    assert rates(callback, 1, 1)[0] == pytest.approx(0.01 * 0.5, rel=1e-3)


def test_anneal_resumed_at_an_epoch_continues_the_same_schedule():
    whole = rates(anneal(10, 10), 10, 10)
    assert rates(anneal(10, 10), 10, 10, first_epoch=8) == pytest.approx(whole[80:])


def test_unknown_schedule_is_refused():
    with pytest.raises(NextwordError, match="--lr-schedule must be anneal or plateau"):
        Config(lr_schedule="cosine").validate()


def test_training_with_anneal_logs_the_rate_falling_to_zero(corpus_file, tmp_path):
    import nextword
    from nextword.training.pipeline import train

    config = Config(**dict(TINY, epochs=4, lr_schedule="anneal", anneal_share=1.0,
                           patience=10))
    result = train([corpus_file], config, str(tmp_path / "a.keras"), verbose=0,
                   log=lambda line: None, plot=False)
    logged = result.history["learning_rate"]
    # The rate an epoch ends with, falling from the first step (share 1).
    assert len(logged) == 4 and 0.01 * 0.75 <= logged[0] < 0.01
    assert logged == sorted(logged, reverse=True) and logged[-1] < 0.01 * 0.1
    saved = nextword.load(result.output).config
    assert saved.lr_schedule == "anneal" and saved.anneal_share == 1.0


def test_plateau_schedule_halves_the_rate_when_validation_stalls(corpus_file, tmp_path):
    from nextword.training.pipeline import train

    config = Config(**dict(TINY, epochs=12, lr_schedule="plateau", patience=12))
    result = train([corpus_file], config, str(tmp_path / "p.keras"), verbose=0,
                   log=lambda line: None, plot=False)
    rates, losses = result.history["learning_rate"], result.history["val_loss"]
    assert rates[0] == pytest.approx(0.01) and min(rates) < 0.01  # the tiny corpus overfits
    for epoch in range(1, len(rates)):  # each halving follows an epoch that did not improve
        if rates[epoch] < rates[epoch - 1]:
            assert rates[epoch] == pytest.approx(rates[epoch - 1] / 2)
            assert losses[epoch - 1] > min(losses[:epoch - 1]) - 0.002
