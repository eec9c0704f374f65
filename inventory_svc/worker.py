"""The background runner: registered jobs, polled in a loop.

A job is `async def run_once(sessions, clock) -> int`: one short round of work, returning how
much it did (0 when idle). Jobs claim their work in the database (a cursor or rows locked
`FOR UPDATE SKIP LOCKED`), so any number of processes may run the same jobs: `inventory-svc
worker` alone, and each `serve` process in-process (INVENTORY_BACKGROUND_JOBS). A round that
raises is logged and the loop goes on; a job with work left runs again at once, the loop
sleeps briefly only when every job is idle.

To add a job, append it to JOBS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.services import expiry_sweep, reorder_watch, webhooks

log = logging.getLogger(__name__)

RunOnce = Callable[[SessionMaker, SiteClock], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run_once: RunOnce


JOBS: tuple[Job, ...] = (
    Job(reorder_watch.JOB_NAME, reorder_watch.run_once),
    Job(expiry_sweep.JOB_NAME, expiry_sweep.run_once),
    Job(webhooks.JOB_NAME, webhooks.run_once),
)
"""Every background job, in the order a round runs them."""

IDLE_SLEEP = 1.0
"""Seconds between rounds when no job had work: a crossing shows within about this."""


class Runner:
    """Runs the jobs until stopped; `start`/`close` for an app's lifespan, `run` for a
    process of its own."""

    def __init__(
        self,
        sessions: SessionMaker,
        clock: SiteClock,
        jobs: Sequence[Job] = JOBS,
        idle_sleep: float = IDLE_SLEEP,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.jobs = tuple(jobs)
        self.idle_sleep = idle_sleep
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def round(self) -> int:
        """Every job once; the work they did. One job's error does not stop the others."""
        done = 0
        for job in self.jobs:
            try:
                done += await job.run_once(self.sessions, self.clock)
            except Exception:
                log.exception("background job %s failed; it runs again next round", job.name)
        return done

    async def run(self) -> None:
        log.info("background jobs running: %s", ", ".join(job.name for job in self.jobs))
        while not self._stopping.is_set():
            if await self.round() == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.idle_sleep)
        log.info("background jobs stopped")

    def stop(self) -> None:
        """Ends the loop after the round in progress (its transaction commits or rolls back
        as a whole)."""
        self._stopping.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="background-jobs")

    async def close(self) -> None:
        self.stop()
        if self._task is not None:
            await self._task
            self._task = None
