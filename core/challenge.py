"""A class challenge, scored as Kaggle's classroom competitions are: on digits nobody tuned on.

The 10,000 test digits are split once, with a seed the teacher never sees, into a public half (its
scores make the leaderboard while the challenge runs) and a private half (hidden from students until
the teacher reveals it: the final ranking). Runs are scored by the server from the answers it saved
with each run (`runs.test_answers`), never from a number a client sends; only runs that a named
student's session queued on this server, after the challenge began, count.

MNIST's test labels are public: the hidden half keeps an honest class honest, it is no secret from
the world.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field

import numpy as np

TEST_SIZE = 10_000
GOALS = {
    "accuracy": "the highest accuracy",
    "parameters": "the fewest parameters reaching the target accuracy",
}
PUBLIC, PRIVATE = "public", "private"


class ChallengeRefused(ValueError):
    """A challenge that cannot be set; the message says why, for the page."""


@dataclass(frozen=True)
class Challenge:
    goal: str = "accuracy"
    target_accuracy: float | None = None  # for the "parameters" goal, as a fraction
    max_parameters: int | None = None
    max_training_seconds: float | None = None
    deadline: float | None = None  # seconds since the epoch; None: until the teacher reveals
    seed: int = field(default_factory=lambda: secrets.randbits(62))  # the split's: never shown
    started: float = field(default_factory=time.time)
    revealed: bool = False
    revealed_at: float | None = None  # runs finished later do not count (they could tune on it)

    def __post_init__(self):
        numbers = (self.target_accuracy, self.max_parameters, self.max_training_seconds, self.deadline,
                   self.revealed_at)
        if not isinstance(self.seed, int) or not isinstance(self.started, (int, float)) or not all(
                value is None or isinstance(value, (int, float)) for value in numbers) or not isinstance(
                self.revealed, bool):
            raise ChallengeRefused("not a challenge: a value of the wrong kind")
        if self.goal not in GOALS:
            raise ChallengeRefused(f"Unknown goal {self.goal!r}: one of {', '.join(GOALS)}.")
        if self.goal == "parameters" and not (self.target_accuracy and 0 < self.target_accuracy < 1):
            raise ChallengeRefused("Give the accuracy to reach, between 0 and 100%.")
        if self.max_parameters is not None and self.max_parameters < 1:
            raise ChallengeRefused("The parameter limit must be at least 1 (or none).")
        if self.max_training_seconds is not None and self.max_training_seconds <= 0:
            raise ChallengeRefused("The training time limit must be above 0 (or none).")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, kept: dict) -> Challenge:
        """The challenge as kept; ChallengeRefused if it is not one (damaged): its seed and start
        must be there, never drawn again (a new split at each reading would show both halves)."""
        if not isinstance(kept, dict) or "seed" not in kept or "started" not in kept:
            raise ChallengeRefused("not a challenge: its seed or its start is missing")
        try:
            return cls(**{name: kept[name] for name in cls.__dataclass_fields__ if name in kept})
        except (TypeError, KeyError) as error:
            raise ChallengeRefused(f"not a challenge: {error}") from error

    @property
    def hides_private_half(self) -> bool:
        """While it runs, students see nothing computed from the private half's labels."""
        return not self.revealed

    def describe(self) -> str:
        """The challenge in one sentence, for every page that shows it."""
        goal = GOALS[self.goal]
        if self.goal == "parameters":
            goal = f"the fewest parameters reaching {self.target_accuracy:.1%} test accuracy"
        limits = [f"at most {self.max_parameters:,} parameters" if self.max_parameters else "",
                  f"at most {self.max_training_seconds:,.0f} s of training" if self.max_training_seconds
                  else "",
                  f"runs finished before {self.deadline_text()}" if self.deadline else ""]
        return f"Train the network with {goal}" + "".join(f", {limit}" for limit in limits if limit) + "."

    def deadline_text(self) -> str:
        return time.strftime("%a %d %b, %H:%M", time.localtime(self.deadline)) if self.deadline else ""

    def split(self) -> dict[str, np.ndarray]:
        """The test set's indices in each half, sorted: the same for the same seed, whoever asks."""
        order = np.random.default_rng(self.seed).permutation(TEST_SIZE)
        return {PUBLIC: np.sort(order[:TEST_SIZE // 2]), PRIVATE: np.sort(order[TEST_SIZE // 2:])}

    def why_not_counted(self, record: dict, students: set[str]) -> str:
        """Why a run does not count in the challenge, or '' if it does (its record, as saved)."""
        if record.get("owner") not in students:
            return "not trained by a student of this class"
        if record.get("status") not in ("finished", "stopped"):
            return f"{record.get('status')}: no answers to score"
        if str(record.get("tag") or "").startswith("search:") and record.get("test_accuracy") is None:
            return "a search trial not chosen: a search's network counts once it is chosen and tested"
        finished = record.get("finished_at") or 0
        if (record.get("started_at") or finished) < self.started:
            return "started before the challenge began"
        if self.deadline and finished > self.deadline:
            return "finished after the deadline"
        if self.revealed_at and finished > self.revealed_at:
            return "finished after the private half was revealed"
        if self.max_parameters and (record.get("parameters") or 0) > self.max_parameters:
            return f"{record.get('parameters'):,} parameters, over the limit of {self.max_parameters:,}"
        seconds = record.get("training_seconds") or 0
        if self.max_training_seconds and seconds > self.max_training_seconds:
            return f"{seconds:,.0f} s of training, over the limit of {self.max_training_seconds:,.0f} s"
        return ""


@dataclass(frozen=True)
class Entry:
    """A run that counts, with its scores on each half."""
    owner: str
    run_id: str
    run_name: str
    public: float
    private: float
    parameters: int
    training_seconds: float
    finished_at: float


def scores(answers: np.ndarray, labels: np.ndarray, challenge: Challenge) -> dict[str, float]:
    """Accuracy on each half, from a run's answers (its argmax for each test digit)."""
    right = np.asarray(answers) == np.asarray(labels)
    return {half: float(right[indices].mean()) for half, indices in challenge.split().items()}


def ranking_key(challenge: Challenge, half: str):
    """Sort key of entries, best first, scored on `half`."""
    if challenge.goal == "parameters":
        target = challenge.target_accuracy

        # those reaching the target: the fewest parameters first; the others: the most accurate first
        return lambda entry: ((False, entry.parameters, -getattr(entry, half), entry.finished_at)
                              if getattr(entry, half) >= target else
                              (True, -getattr(entry, half), entry.parameters, entry.finished_at))
    return lambda entry: (-getattr(entry, half), entry.parameters, entry.training_seconds, entry.finished_at)


def reaches(challenge: Challenge, entry: Entry, half: str) -> bool:
    """Whether the entry meets the goal's target (always, for the highest-accuracy goal)."""
    return challenge.goal != "parameters" or getattr(entry, half) >= challenge.target_accuracy


@dataclass(frozen=True)
class Standing:
    """One student's line of the leaderboard: their best run on the public half (the one they would
    choose, seeing only it), and their other runs."""
    rank: int
    owner: str
    best: Entry
    others: list[Entry]


def leaderboard(challenge: Challenge, entries: list[Entry], half: str = PUBLIC) -> list[Standing]:
    """One line per student, ranked on `half`. Each student's run is chosen on the public half in
    both rankings (as a student chooses, seeing only it): revealing the private half re-ranks those
    choices and shows who fitted the public half rather than the digits."""
    by_owner: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=ranking_key(challenge, PUBLIC)):
        by_owner.setdefault(entry.owner, []).append(entry)
    chosen = sorted(by_owner.values(), key=lambda mine: ranking_key(challenge, half)(mine[0]))
    return [Standing(rank, mine[0].owner, mine[0], mine[1:]) for rank, mine in enumerate(chosen, 1)]
