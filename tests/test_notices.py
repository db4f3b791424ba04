"""The notices a learner reads under a training's curves, from stated rules."""

from core.notices import training_notices


def kinds(history, ended=True):
    return [notice.kind for notice in training_notices(history, ended)]


def test_overfitting_is_said_from_the_epoch_after_the_lowest_validation_loss():
    history = {"loss": [0.5, 0.3, 0.2, 0.1, 0.05], "val_loss": [0.4, 0.3, 0.32, 0.35, 0.4],
               "val_accuracy": [0.9, 0.92, 0.92, 0.91, 0.9]}
    (notice,) = training_notices(history, ended=True)
    assert notice.kind == "overfitting"
    assert "from epoch 3" in notice.text and "epoch 2" in notice.text and "0.300" in notice.text


def test_no_overfitting_when_the_validation_loss_comes_back_or_the_training_loss_does_not_fall():
    came_back = {"loss": [0.5, 0.3, 0.2, 0.1], "val_loss": [0.4, 0.3, 0.35, 0.301]}
    assert "overfitting" not in kinds(came_back)
    within_two_percent = {"loss": [0.5, 0.3, 0.2, 0.1], "val_loss": [0.4, 0.3, 0.305, 0.306]}
    assert "overfitting" not in kinds(within_two_percent)
    both_rise = {"loss": [0.5, 0.3, 0.31, 0.32], "val_loss": [0.4, 0.3, 0.35, 0.4]}
    assert "overfitting" not in kinds(both_rise)
    one_epoch_only = {"loss": [0.5, 0.3, 0.2], "val_loss": [0.4, 0.3, 0.4]}
    assert "overfitting" not in kinds(one_epoch_only)


def test_a_jump_of_the_training_loss_suggests_a_lower_learning_rate():
    (notice,) = training_notices({"loss": [0.5, 0.4, 0.6, 0.3]}, ended=False)
    assert notice.kind == "jump" and "epoch 3" in notice.text and "0.400 → 0.600" in notice.text
    assert kinds({"loss": [0.5, 0.4, 0.43, 0.3]}) == []  # under 10%: noise


def test_still_improving_only_once_ended_and_after_two_gains():
    history = {"loss": [0.5, 0.4, 0.3], "val_loss": [0.4, 0.3, 0.25], "val_accuracy": [0.9, 0.92, 0.93]}
    assert kinds(history, ended=True) == ["still improving"]
    assert kinds(history, ended=False) == []  # a training under way is still improving by design
    flat = history | {"val_accuracy": [0.9, 0.92, 0.9205]}
    assert kinds(flat, ended=True) == []


def test_a_diverged_history_with_nan_raises_nothing_it_cannot_back():
    assert kinds({"loss": [float("nan")], "val_loss": [float("nan")]}) == []
    assert kinds({}) == []
