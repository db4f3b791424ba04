"""The classroom server's processes, started and kept alive by supervisord: Redis (its files, with
the queue, in the runs folder), a training worker per core and the dashboard; or, on another
machine that joins the class, its workers alone.

    python -m core.serve [--workers N] [--port 8501] [--redis-port 6379] [--address localhost]
    python -m core.serve --join redis://teacher-host:6379/0 [--password-file FILE] [--workers N]

A process that exits or is killed is started again within seconds and nothing else stops; Ctrl+C
stops them all. When the server is shared (an address other than localhost), Redis gets a password,
made once and kept in a file only its user can read; it travels to the processes in their
environment, never on a command line, in a page or in a log.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

from core import runs
from core.urls import REDIS_PASSWORD_ENV as PASSWORD_ENV

logger = logging.getLogger(__name__)

LOCAL = ("localhost", "127.0.0.1", "::1")
REDIS_MEMORY = os.environ.get("MNIST_EXPLORER_REDIS_MEMORY", "2gb")  # at the limit, writes fail: no eviction
PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[1]


def private_file(path: Path, text: str) -> Path:
    """Write `text` to `path`, readable by this user only (it may hold a password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.chmod(path, 0o600)
    return path


def password(folder: Path) -> str:
    """The shared server's Redis password, made once (kept in `folder`/password)."""
    path = folder / "password"
    if path.is_file() and (kept := path.read_text().strip()):
        return kept
    made = secrets.token_urlsafe(24)
    private_file(path, made + "\n")
    return made


def redis_config(folder: Path, port: int, bind: str, secret: str | None) -> Path:
    lines = [f"port {port}", f"bind {bind}", f"dir {folder}", "appendonly yes", 'save ""',
             f"maxmemory {REDIS_MEMORY}", "maxmemory-policy noeviction", "daemonize no",
             f"protected-mode {'no' if secret else 'yes'}"]
    if secret:
        lines.append(f"requirepass {secret}")
    return private_file(folder / "redis.conf", "\n".join(lines) + "\n")


def program(name: str, command: str, priority: int, **more) -> str:
    settings = {"command": command, "directory": str(ROOT), "priority": priority, "autorestart": "true",
                "startsecs": 1, "startretries": 1000, "redirect_stderr": "true",
                "stdout_logfile": "/dev/stdout", "stdout_logfile_maxbytes": 0, **more}
    return f"[program:{name}]\n" + "".join(f"{key}={value}\n" for key, value in settings.items())


def supervisor_config(folder: Path, programs: list[str]) -> Path:
    socket_path = folder / "supervisor.sock"
    head = (f"[supervisord]\nnodaemon=true\nlogfile={folder / 'supervisord.log'}\n"
            f"pidfile={folder / 'supervisord.pid'}\nchildlogdir={folder}\nloglevel=info\n\n"
            f"[unix_http_server]\nfile={socket_path}\nchmod=0700\n\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            f"[supervisorctl]\nserverurl=unix://{socket_path}\n\n")
    return private_file(folder / "supervisord.conf", head + "\n".join(programs))


def worker_program(count: int) -> str:
    threads = max(1, (os.cpu_count() or 1) // max(1, count))
    # SIGTERM: the training in progress is asked to stop and kept; then the worker leaves
    return program("worker", f"{PYTHON} -m core.trainings.worker --threads {threads}", 20,
                   numprocs=count, process_name="worker-%(process_num)s", stopsignal="TERM",
                   stopwaitsecs=20, stopasgroup="true", killasgroup="true")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m core.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--port", type=int, default=8501, help="the dashboard's port")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--address", default="localhost", help="the dashboard's address (0.0.0.0: all)")
    parser.add_argument("--redis-bind", default=None,
                        help="Redis's address (default: 127.0.0.1, or all when the server is shared)")
    parser.add_argument("--join", metavar="URL", help="join the class whose Redis is at URL: workers only")
    parser.add_argument("--password-file", type=Path, help="the class's Redis password, with --join")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = runs.runs_dir() / ("joined" if args.join else "server")  # supervisord's files
    env = dict(os.environ)
    if args.join:
        if args.password_file:
            env[PASSWORD_ENV] = args.password_file.read_text().strip()
        env["MNIST_EXPLORER_REDIS_URL"] = args.join
        programs = [worker_program(args.workers)]
        logger.info("Joining the class at %s with %d worker(s). Ctrl+C stops them.", args.join, args.workers)
    else:
        shared = args.address not in LOCAL or (args.redis_bind or "127.0.0.1") not in ("127.0.0.1", "::1")
        redis_folder = runs.runs_dir() / "redis"
        redis_folder.mkdir(parents=True, exist_ok=True)
        secret = password(redis_folder) if shared else None
        bind = args.redis_bind or ("0.0.0.0" if shared else "127.0.0.1")
        conf = redis_config(redis_folder, args.redis_port, bind, secret)
        env["MNIST_EXPLORER_REDIS_URL"] = f"redis://127.0.0.1:{args.redis_port}/0"
        if secret:
            env[PASSWORD_ENV] = secret
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        web = (f"{PYTHON} -m streamlit run dashboard/app.py --server.port {args.port} "
               f"--server.address {args.address} --server.headless true")
        programs = [program("redis", f"{redis_server} {conf}", 10, stopwaitsecs=10),
                    worker_program(args.workers),
                    program("web", web, 30, stopwaitsecs=10, stopasgroup="true", killasgroup="true")]
        host = args.address if args.address not in ("0.0.0.0", "::") else socket.gethostname()
        logger.info("The dashboard: http://%s:%d (Ctrl+C stops the server)", host, args.port)
        if secret:
            logger.info("Other machines join the class with (after copying %s there, readable by you only):\n"
                        "    make worker URL=redis://%s:%d/0 PASSWORD_FILE=path/to/that/copy",
                        redis_folder / "password", socket.gethostname(), args.redis_port)
    conf = supervisor_config(folder, programs)
    supervisord = shutil.which("supervisord", path=str(Path(PYTHON).parent)) or shutil.which("supervisord")
    os.execve(supervisord, [supervisord, "-c", str(conf)], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
