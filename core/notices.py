"""What a learner should notice in a training's curves, from stated rules on its per-epoch history
(Keras's names: loss, accuracy, val_loss, val_accuracy). Each notice says the rule that raised it,
so that a learner can check it on the chart."""

from __future__ import annotations

import math
from dataclasses import dataclass

OVERFIT_MARGIN = 0.02  # validation loss this far above its lowest...
OVERFIT_EPOCHS = 2  # ...for this many epochs in a row, while the training loss falls
JUMP = 0.10  # a training loss this much above the epoch before
STILL_GAINING = 0.001  # validation accuracy gained in each of the last two epochs (0.1 point)


@dataclass(frozen=True)
class Notice:
    kind: str  # "overfitting", "jump" or "still improving"
    text: str


def training_notices(history: dict[str, list[float]], ended: bool) -> list[Notice]:
    """The notices `history` raises; "still improving" only once the training has `ended`."""
    loss = [value for value in history.get("loss", []) if math.isfinite(value)]
    validation = [value for value in history.get("val_loss", []) if math.isfinite(value)]
    notices = []
    if overfit := _overfitting(loss, validation):
        notices.append(overfit)
    for epoch in range(1, len(loss)):
        if loss[epoch] > (1 + JUMP) * loss[epoch - 1]:
            notices.append(Notice("jump", (
                f"The training loss jumped at epoch {epoch + 1} ({loss[epoch - 1]:.3f} → {loss[epoch]:.3f}, "
                f"more than {JUMP:.0%} up): the learning rate may be too high. Try it halved.")))
            break
    accuracy = history.get("val_accuracy", [])
    if ended and len(accuracy) >= 3 and all(
            later - earlier >= STILL_GAINING for earlier, later in zip(accuracy[-3:], accuracy[-2:])):
        notices.append(Notice("still improving", (
            f"Still improving when it stopped: validation accuracy rose in each of its last two epochs "
            f"({accuracy[-3]:.2%} → {accuracy[-1]:.2%}). More epochs would likely help.")))
    return notices


def _overfitting(loss: list[float], validation: list[float]) -> Notice | None:
    """Validation loss more than 2% above its lowest for 2 epochs in a row (to the last), while the
    training loss still falls."""
    if len(validation) < OVERFIT_EPOCHS + 1 or len(loss) < len(validation):
        return None
    best = min(range(len(validation)), key=validation.__getitem__)
    after = validation[best + 1:]
    if len(after) < OVERFIT_EPOCHS or not all(v > (1 + OVERFIT_MARGIN) * validation[best] for v in after):
        return None
    if loss[len(validation) - 1] >= loss[best]:
        return None  # the training loss did not fall meanwhile: not overfitting, something else
    return Notice("overfitting", (
        f"Overfitting from epoch {best + 2}: the validation loss has stayed more than "
        f"{OVERFIT_MARGIN:.0%} above its lowest ({validation[best]:.3f}, epoch {best + 1}) while the "
        f"training loss kept falling. The network learns its training images by heart; the best "
        f"epoch to keep was {best + 1} (early stopping does that)."))
