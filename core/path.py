"""The guided path for a learner's first hour: numbered steps, each a page of the dashboard to open,
what to look at there and why, and a question to answer by looking. A visitor's progress (the steps
ticked, the last page seen) is kept with their identity (their owner id), beside the class's
documents (core.class_state: Redis on a classroom server, the runs folder otherwise), so that a
reload, a page switch and a new tab keep it."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.class_state import Documents


@dataclass(frozen=True)
class Step:
    page: str  # the page's path in the dashboard (dashboard.pages)
    title: str
    look: str  # what to look at there, and why
    question: str  # to answer by looking
    settings: tuple[tuple[str, str], ...] = ()  # the page opened in this state (its address's parameters)


@dataclass
class Progress:
    done: set[int] = field(default_factory=set)  # step numbers, from 1
    last_page: str = ""

    def to_dict(self) -> dict:
        return {"done": sorted(self.done), "last_page": self.last_page}

    @classmethod
    def from_dict(cls, kept: dict | None) -> Progress:
        kept = kept if isinstance(kept, dict) else {}
        done = kept.get("done")
        page = kept.get("last_page")
        numbers = {number for number in done if isinstance(number, int)} if isinstance(done, list) else set()
        return cls(numbers, page if isinstance(page, str) else "")


def _key(owner: str) -> str:
    return f"path-{owner}"


def read_progress(documents: Documents, owner: str) -> Progress:
    return Progress.from_dict(documents.read(_key(owner)))


def write_progress(documents: Documents, owner: str, progress: Progress) -> None:
    documents.write(_key(owner), progress.to_dict())

