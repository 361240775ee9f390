"""The job queue on Redis (Dramatiq): sending a job to it, and a worker that runs them.

Dramatiq's Redis broker keeps each message a worker has taken until that worker acknowledges
it; a worker whose heartbeat is older than ``BSU_QUEUE_HEARTBEAT_S`` (one killed, or whose
machine died) has its messages put back on the queue by the next broker call that does the
queue's upkeep, and another worker runs the job again from the start. Only a job id travels on
the queue; everything else is in the catalogue's ``jobs`` row.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from bsu_models.core.errors import StorageError
from bsu_models.core.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "bsu-jobs"
ACTOR_NAME = "bsu_models_job"
#: Out of a million broker calls, how many also do the queue's upkeep (re-queueing the messages
#: of workers gone silent): a quarter, so an abandoned job is picked up within a few seconds of
#: the heartbeat running out, at the cost of a few cheap Redis reads on a small queue.
MAINTENANCE_CHANCE = 250_000
#: How long a stopping worker waits for the jobs it is running (milliseconds).
STOP_TIMEOUT_MS = 30_000
#: Longest wait between two looks at an idle queue (milliseconds); each look is also the
#: worker's heartbeat and a chance of upkeep.
POLL_MS = 250

_brokers: dict[tuple[str, float], Any] = {}
_lock = threading.Lock()


def _unreachable(settings: Settings, exc: Exception) -> StorageError:
    return StorageError(
        "The job queue at {url} cannot be reached: {reason}",
        url=settings.queue_url,
        reason=str(exc) or type(exc).__name__,
    )


def make_broker(settings: Settings) -> Any:
    """A Dramatiq Redis broker for ``BSU_QUEUE_URL``, checked to answer."""
    import redis
    from dramatiq.brokers.redis import RedisBroker

    try:
        broker = RedisBroker(
            url=settings.queue_url,
            # No retry or time-limit middleware: a job records its own failure, and a long
            # video must not be cut off; only a worker's death sends a job round again.
            middleware=[],
            heartbeat_timeout=int(settings.queue_heartbeat_s * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
        )
        broker.client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise _unreachable(settings, exc) from exc
    broker.declare_queue(QUEUE_NAME)
    return broker


def enqueue(settings: Settings, job_id: int) -> None:
    """Put job ``job_id`` on the queue for a worker."""
    import redis
    from dramatiq import Message

    with _lock:
        key = (settings.queue_url, settings.queue_heartbeat_s)
        if key not in _brokers:
            _brokers[key] = make_broker(settings)
        broker = _brokers[key]
    message: Message[Any] = Message(
        queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(job_id,), kwargs={}, options={}
    )
    try:
        broker.enqueue(message)
    except redis.RedisError as exc:
        raise _unreachable(settings, exc) from exc


def run_worker(settings: Settings, run: Callable[[int], Any], threads: int = 1) -> None:
    """Take jobs off the queue and ``run`` each (by its id) on ``threads`` threads until this
    process is asked to stop (SIGTERM or SIGINT)."""
    from dramatiq import Actor, Worker

    if not settings.queue_url:
        raise StorageError("No job queue is configured: set BSU_QUEUE_URL to a Redis URL.")
    broker = make_broker(settings)

    def job(job_id: int) -> None:
        run(int(job_id))

    job.__module__ = __name__
    Actor(job, broker=broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, priority=0, options={})
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    worker = Worker(broker, queues={QUEUE_NAME}, worker_threads=threads, worker_timeout=POLL_MS)
    worker.start()
    log.info("worker started on %s with %d thread(s)", settings.queue_url, threads)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=STOP_TIMEOUT_MS)
        broker.close()
