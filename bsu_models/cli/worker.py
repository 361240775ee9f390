"""``bsu-models worker``: a worker that runs jobs from the Redis queue (``BSU_QUEUE_URL``).

Runs as the system (no account signs in): each job runs as the person who asked for it, with
their roles and case membership as they are when it runs. ``--processes`` starts that many
worker processes, each with ``--threads`` threads; SIGTERM or Ctrl-C stops them after the jobs
they are running.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import signal
import sys
from typing import Any

from bsu_models.catalogue import open_catalogue
from bsu_models.core.errors import InvalidInput
from bsu_models.core.i18n import DEFAULT_LANGUAGE, t
from bsu_models.core.settings import Settings, load_settings
from bsu_models.jobs.queue import make_broker, run_worker
from bsu_models.jobs.runner import execute


def _work(settings: Settings, threads: int) -> None:
    """One worker process: the catalogue opened as the system, jobs taken off the queue."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(message)s")
    catalogue = open_catalogue(settings)
    try:
        run_worker(settings, lambda job_id: execute(catalogue.ctx, job_id), threads)
    finally:
        catalogue.close()


def cmd_worker(_cat: Any, args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.queue_url:
        raise InvalidInput(
            "No job queue is configured: set BSU_QUEUE_URL to a Redis URL such as "
            "redis://127.0.0.1:6379/0 (without it, jobs run in the app's own process)."
        )
    if args.processes < 1 or args.threads < 1:
        raise InvalidInput("--processes and --threads must each be 1 or more.")
    make_broker(settings).close()  # a plain error now if Redis cannot be reached
    print(
        t("Worker on {url}: {processes} process(es) of {threads} thread(s).", args.ui_lang).format(
            url=settings.queue_url, processes=args.processes, threads=args.threads
        ),
        file=sys.stderr,
        flush=True,
    )
    if args.processes == 1:
        _work(settings, args.threads)
        return 0
    spawn = multiprocessing.get_context("spawn")
    children = [
        spawn.Process(target=_work, args=(settings, args.threads), name=f"bsu-worker-{n}")
        for n in range(args.processes)
    ]
    for child in children:
        child.start()

    def stop(_signum: int, _frame: Any) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                child.terminate()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    for child in children:
        child.join()
    return 0


def add_worker_command(sub: Any, lang: str = DEFAULT_LANGUAGE) -> None:
    worker = sub.add_parser(
        "worker", help=t("run jobs from the job queue (BSU_QUEUE_URL) until stopped", lang)
    )
    worker.add_argument(
        "--processes",
        type=int,
        default=1,
        help=t("worker processes to start (default 1)", lang),
    )
    worker.add_argument(
        "--threads",
        type=int,
        default=1,
        help=t("jobs each process runs at once (default 1)", lang),
    )
    worker.set_defaults(handler=cmd_worker, needs_catalogue=False)
