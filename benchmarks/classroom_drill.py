"""A classroom drill: 30 students share one server. Each is a real Streamlit session (AppTest, run
in this process as the server would run it) that browses the dataset pages, submits one or two small
trainings from the Train page, and then tries, as a careless or hostile student might, to stop other
students' trainings. AppTest is not thread-safe, so the 30 sessions are all open at once and take
turns, one action each in round-robin, while the trainings train elsewhere.

Run three times, each in a fresh process: trainings in the dashboard's process (the default), and on
RQ workers over a real Redis with 1 and with 2 workers (each worker one process, one core's share).

Recorded in benchmarks/results/classroom_drill.json, for each: failures (page exceptions; goal 0),
jobs lost (accepted but neither saved nor deliberately ended; goal 0), jobs stopped by a non-owner
(goal 0), refusals by the limits (each one checked against the limit it names), trainings finished
per minute, and the dashboard process's peak resident memory; and the ratio of trainings finished
per minute with 2 workers to 1.

    .venv/bin/python -m benchmarks.classroom_drill [--students 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

APP = str(ROOT / "dashboard" / "app.py")
BROWSED = ["overview", "samples", "averages", "runs"]


def student(number: int, report: dict, lock: threading.Lock):
    """One student's visit, as a generator: each `yield` hands the turn to the next student."""
    from streamlit.testing.v1 import AppTest

    from core.jobs import NotYours
    from dashboard import server

    rng = random.Random(number)
    app = AppTest.from_file(APP, default_timeout=300).run()
    problems = [e.value for e in app.exception]
    yield
    for page in rng.sample(BROWSED, 2) + ["train"]:
        app.switch_page(f"views/{page}.py").run()
        problems += [f"{page}: {e.value}" for e in app.exception]
        yield
    app.number_input(key="images-given").set_value(2000).run()
    for attempt in range(rng.choice([1, 2])):
        app.slider(key="epochs-given").set_value(1 + attempt).run()
        app.number_input(key="seed-given").set_value(number).run()
        next(b for b in app.button if b.label == "Train").click().run()
        problems += [f"train: {e.value}" for e in app.exception]
        with lock:
            report["submitted"] += 1
            if app.warning:
                report["refusals"].append(app.warning[0].value)
            else:
                report["accepted"].append(server.trainings().jobs()[-1])
        yield
    queue = server.trainings()
    token = app.session_state["owner_token"]
    import hashlib

    owner = "session-" + hashlib.sha256(token.encode()).hexdigest()[:16]  # as harness.apptest.owner_of
    yield
    for job in queue.jobs():  # the hostile part: try to stop everybody else's trainings
        if job.owner != owner:
            try:
                queue.stop(job, owner)
                with lock:
                    report["stopped_by_non_owner"] += 1
            except NotYours:
                with lock:
                    report["non_owner_stops_refused"] += 1
    yield
    app.switch_page("views/runs.py").run()
    problems += [f"runs: {e.value}" for e in app.exception]
    with lock:
        report["failures"] += len(problems)
        report["failure_examples"] += problems[:2]


def drill(students: int) -> dict:
    """One drill, on the trainings the environment chooses (MNIST_EXPLORER_REDIS_URL or none)."""
    folder = tempfile.mkdtemp(prefix="drill-runs-")
    os.environ["MNIST_EXPLORER_RUNS"] = folder
    from core import runs
    from dashboard import server

    process = psutil.Process()
    peak = [process.memory_info().rss]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    report = {"students": students, "submitted": 0, "accepted": [],
              "refusals": [], "failures": 0, "failure_examples": [], "stopped_by_non_owner": 0,
              "non_owner_stops_refused": 0}
    lock = threading.Lock()
    started = time.perf_counter()
    visits = [student(n, report, lock) for n in range(students)]
    while visits:  # round-robin: every open session takes one action in turn
        for visit in list(visits):
            if next(visit, "done") == "done":
                visits.remove(visit)
    trainings = server.trainings()
    jobs = report.pop("accepted")
    for job in jobs:
        job.done.wait(1800)
    minutes = (time.perf_counter() - started) / 60
    sampling.set()
    saved = {run.id: run for run in runs.list_runs(Path(folder))}
    statuses = [str(job.status) for job in jobs]
    lost = [job.id for job in jobs if not (job.status == "finished" and job.progress().run_id in saved)]
    refusals = report.pop("refusals")
    finished = sum(job.progress().run_id in saved for job in jobs)
    report |= {
        "accepted": len(jobs),
        "finished_and_saved": finished,
        "statuses": {status: statuses.count(status) for status in sorted(set(statuses))},
        "jobs_lost": len(lost),
        "refused_server_full": sum("server's queue is full" in r for r in refusals),
        "refused_per_session": sum("already have" in r for r in refusals),
        "refused_duplicate": sum("already queued" in r or "already running" in r for r in refusals),
        "refusals_unexplained": [r for r in refusals if not any(
            key in r for key in ("queue is full", "already have", "already queued", "already running"))],
        "limits": {"running": trainings.max_running, "queued": trainings.max_queued,
                   "per_session": trainings.max_per_owner},
        "dashboard_rss_peak_mb": round(peak[0] / 2**20, 1),
        "wall_seconds": round(minutes * 60, 1),
        "trainings_finished_per_minute": round(finished / minutes, 2),
    }
    report["refusals_as_expected"] = (report["accepted"] + len(refusals) == report["submitted"]
                                      and not report["refusals_unexplained"])
    return report


def one(arguments) -> None:
    """A drill in this process, its report printed as JSON (for `main`, which runs three)."""
    import contextlib

    with contextlib.ExitStack() as stack:
        if arguments.workers:
            from harness.services import TrainingWorker, redis_server

            redis = stack.enter_context(redis_server())
            os.environ["MNIST_EXPLORER_REDIS_URL"] = redis.url
            workers = [TrainingWorker(redis.url, f"drill-{n}", Path(tempfile.mkdtemp()), threads=1)
                       for n in range(arguments.workers)]
            stack.callback(lambda: [worker.stop() for worker in workers])
        print(json.dumps(drill(arguments.students)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=None, help="one drill: 0 in-process, N on Redis")
    arguments = parser.parse_args()
    if arguments.workers is not None:
        return one(arguments)
    import subprocess

    results = {}
    for name, workers in (("in_process", 0), ("redis_1_worker", 1), ("redis_2_workers", 2)):
        done = subprocess.run([sys.executable, "-m", "benchmarks.classroom_drill", "--students",
                               str(arguments.students), "--workers", str(workers)], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(name, json.dumps(results[name], indent=1), flush=True)
    per_minute = {name: report["trainings_finished_per_minute"] for name, report in results.items()}
    results["finished_per_minute_2_workers_over_1"] = round(
        per_minute["redis_2_workers"] / per_minute["redis_1_worker"], 2)
    (ROOT / "benchmarks" / "results" / "classroom_drill.json").write_text(json.dumps(results, indent=2))
    drills = [report for report in results.values() if isinstance(report, dict)]
    ok = all(report["failures"] == 0 and report["jobs_lost"] == 0 and report["stopped_by_non_owner"] == 0
             and report["refusals_as_expected"] for report in drills)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
