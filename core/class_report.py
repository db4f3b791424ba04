"""The class as its teacher sees it: one line per student (what each trains now, how far, their best
run), the points of the class's chart, and the results as a CSV that a spreadsheet opens safely.

Pure: it is given the names, the jobs and the runs, and a function that says a run's test accuracy
as it may be shown (the public half's while a challenge hides the other).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from core.status import Status

Accuracy = Callable[[object], "float | None"]


def _accuracy_so_far(progress) -> float | None:
    """Validation accuracy of its last full epoch, else its running training accuracy."""
    if values := progress.history.get("val_accuracy"):
        return float(values[-1])
    return float(progress.batch_points[-1][2]) if progress.batch_points else None


def _running_line(job) -> str:
    progress = job.progress()
    accuracy = _accuracy_so_far(progress)
    so_far = f", {accuracy:.1%} so far" if accuracy is not None else ""
    return f"{job.name or '#' + str(job.id)}: epoch {progress.epoch}/{progress.epochs}{so_far}"


def student_lines(names: dict[str, str], jobs: list, saved: list, accuracy: Accuracy) -> list[dict]:
    """One line per named student, the most recently active first. `saved`: usable runs."""
    lines = []
    for owner, name in names.items():
        mine = [job for job in jobs if job.owner == owner]
        queued = [job for job in mine if job.status == Status.QUEUED]
        running = [job for job in mine if job.status == Status.RUNNING]
        runs = [run for run in saved if run.owner == owner]
        scored = [(score, run) for run in runs if (score := accuracy(run)) is not None]
        best_score, best = max(scored, key=lambda pair: pair[0], default=(None, None))
        times = [run.record.get("finished_at") or 0 for run in runs]
        times += [job.progress().started or 0 for job in mine]
        lines.append({
            "student": name, "queued": len(queued),
            "running": "; ".join(_running_line(job) for job in running),
            "runs": len(runs), "best run": best.name if best else "",
            "best accuracy": best_score, "parameters": best.record.get("parameters") if best else None,
            "training seconds": best.record.get("training_seconds") if best else None,
            "last active": max(times, default=0) or None, "owner": owner,
        })
    return sorted(lines, key=lambda line: -(line["last active"] or 0))


def run_points(names: dict[str, str], saved: list, accuracy: Accuracy) -> list[dict]:
    """The class's usable runs as points: student, run, parameters, accuracy."""
    points = []
    for run in saved:
        if run.owner in names and (score := accuracy(run)) is not None:
            points.append({"student": names[run.owner], "run": run.name, "id": run.id,
                           "parameters": run.record.get("parameters"), "accuracy": score,
                           "training seconds": run.record.get("training_seconds")})
    return points


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe
    (OWASP's advice against CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def results_csv(points: list[dict], tested: str) -> str:
    """The class's results, one row per run; `tested` names the accuracy's digits."""
    frame = pd.DataFrame(points, columns=["student", "run", "id", "parameters", "accuracy",
                                          "training seconds"])
    frame = frame.rename(columns={"accuracy": f"test accuracy ({tested})"})
    for column in ("student", "run"):
        frame[column] = frame[column].map(safe_cell)
    return frame.to_csv(index=False)


def ago(seconds_since_epoch: float | None, now: float | None = None) -> str:
    """"3 min ago", for a last activity."""
    if not seconds_since_epoch:
        return ""
    seconds = max(0.0, (now or time.time()) - seconds_since_epoch)
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago" if seconds < 3600 else f"{seconds / 3600:.1f} h ago"
