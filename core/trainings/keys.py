"""The names of what trainings keep in Redis, beside RQ's own keys: one place for the dashboard and
the workers, which must agree on them. Every key written here expires, or is deleted once used:
Redis runs with a memory limit and refuses writes rather than evicting anything."""

from __future__ import annotations

QUEUE = "mnist-explorer-trainings"  # the RQ queue the workers listen to
PREFIX = "mnist-explorer:"
JOBS = PREFIX + "jobs"  # RQ job ids, in submission order (a list, trimmed to the newest)
NUMBERS = PREFIX + "numbers"  # a counter: each job's short number, as the pages show it (#12)
SUBMIT_LOCK = PREFIX + "submit-lock"  # held while limits are checked and a job is queued
KEPT_JOBS = 200  # how many jobs the list remembers
# How long a job's keys and results live in Redis (a week: a run that finished while the dashboard
# was down is saved when it starts again, within that week).
KEPT_SECONDS = 7 * 24 * 3600
ALIVE_TTL = 6  # a training's and a worker's "alive" keys, renewed about every second
SAVING_TTL = 20  # a claim to save a run, renewed while its claimant saves (a dashboard killed
#                  mid-save leaves it to the next one within seconds, not minutes)


def progress(job_id: str) -> str:
    """The job's progress, as JSON, written by its worker while it trains."""
    return f"{PREFIX}progress:{job_id}"


def stop(job_id: str) -> str:
    """Set when the job's owner asks it to stop; its worker looks after each group of batches."""
    return f"{PREFIX}stop:{job_id}"


def alive(job_id: str) -> str:
    """Renewed with each publication of the job's progress (twice a second), expiring after
    ALIVE_TTL: gone while the job is started, its worker was lost (killed, machine switched off)."""
    return f"{PREFIX}alive:{job_id}"


def saving(job_id: str) -> str:
    """Claimed by the one process that saves the job's run in its runs folder."""
    return f"{PREFIX}saving:{job_id}"


def archive(job_id: str) -> str:
    """The finished run as one archive (raw bytes: RQ's JSON results cannot hold bytes)."""
    return f"{PREFIX}archive:{job_id}"


def epoch(job_id: str, number: int) -> str:
    """The weights of the job's full epoch `number` (an .npz, raw bytes), sent as the epoch ends:
    a training lost or stopped by force is kept with every epoch it finished."""
    return f"{PREFIX}epoch:{job_id}:{number}"


def worker(name: str) -> str:
    """Renewed by each live worker about every second: live workers, not RQ's registrations (which
    outlive a killed worker by minutes)."""
    return f"{PREFIX}worker:{name}"


WORKERS_PATTERN = f"{PREFIX}worker:*"
