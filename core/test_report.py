"""What the test set reports, and on which digits: the whole of it, or, while a class challenge
hides its private half, only the public half. Pages and the terminal ask here rather than read a
run's stored test accuracy (computed on all 10,000 digits), so that no number from the private
half's labels reaches a student before the teacher reveals it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from core import runs
from core.challenge import PUBLIC, Challenge, ChallengeRefused

logger = logging.getLogger(__name__)


class TestReport:
    """The test set as reported now. `answer(run)` gives a run's answers if it was saved without
    them (they are kept then); `labels` are the whole test set's."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self, challenge: Challenge | None, labels: np.ndarray,
                 answer: Callable[[runs.Run], np.ndarray]):
        self.challenge = challenge if challenge and challenge.hides_private_half else None
        self.labels, self.answer = labels, answer
        self._public = self.challenge.split()[PUBLIC] if self.challenge else None
        self._accuracies: dict[tuple[str, float], float | None] = {}

    @property
    def hidden(self) -> bool:
        return self.challenge is not None

    @property
    def indices(self) -> np.ndarray | None:
        """The test digits that may be shown (the public half's, sorted), or None: all of them."""
        return self._public

    def accuracy(self, run: runs.Run) -> float | None:
        """The run's test accuracy as it may be shown: as saved, or on the public half."""
        saved = run.record.get("test_accuracy")
        if not isinstance(saved, (int, float)):
            return None
        if not self.hidden:
            return saved
        if not run.usable:  # no model to score its public half with: nothing, rather than all 10,000's
            return None
        key = (run.id, run.record.get("finished_at") or 0.0)
        if key not in self._accuracies:
            try:
                answers = runs.test_answers(run, self.answer)
                self._accuracies[key] = float((answers[self._public] == self.labels[self._public]).mean())
            except (runs.RunError, OSError, ValueError, IndexError):  # damaged since it was listed
                self._accuracies[key] = None
        return self._accuracies[key]

    def accuracy_of(self, run_id: str | None, saved: float | None, root=None) -> float | None:
        """The same for a run known by id with the accuracy it saved (a search trial, a finished
        training's card): as saved, or None if the run cannot be read to score its public half."""
        if not self.hidden or saved is None:
            return saved
        try:
            return self.accuracy(runs.get_run(run_id, root)) if run_id else None
        except runs.RunError:
            return None


def kept_challenge() -> Challenge | None:
    """The class's challenge as this server keeps it (for the terminal), or None."""
    from core.class_state import CHALLENGE, open_documents

    try:
        kept = open_documents().read(CHALLENGE)
        return Challenge.from_dict(kept) if kept else None
    except ChallengeRefused:
        return None
    except Exception as error:  # OSError, or Redis's own: the terminal says so and shows the whole set
        logger.warning("the class challenge cannot be read (%s): test accuracies are the whole set's", error)
        return None


def terminal_report(load_data: Callable) -> TestReport:
    """What the terminal's `runs` commands may show: MNIST is loaded (`load_data()`) only if a
    challenge hides half of the test set."""
    challenge = kept_challenge()
    if not challenge or not challenge.hides_private_half:
        return TestReport(None, np.zeros(0), lambda run: np.zeros(0))
    data = load_data()
    from core import training

    return TestReport(challenge, data.y_test,
                      lambda run: training.test_answers(runs.load_model(run), data.x_test))
