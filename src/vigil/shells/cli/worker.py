"""`vigil run`: the worker (schedules, dispatch and deliveries) in the foreground, one line per
round on stderr."""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import Annotated, Any

import typer

from vigil.api import clock
from vigil.api import worker as worker_api
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag


def run_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option(help="One round, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 1.0,
    json_out: JsonFlag = False,
) -> None:
    """The worker: schedules, dispatch and deliveries, until SIGTERM or Ctrl-C (it finishes
    the round it is in, and resumes from the state store next time)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    quiet = {"since": 0.0}  # idle rounds say so once a minute, not every second

    def on_round(number: int, done: Any, seconds: float) -> None:
        for problem in done.problems:
            render.tagged("rule error:", "red", problem)
        busy = any((done.scheduled, done.dispatched, done.delivered, done.retried, done.dead))
        began = time.monotonic()
        if busy or once or began - quiet["since"] >= 60:
            if not busy:
                quiet["since"] = began
            _round_line(number, done, seconds, json_out)

    worker = worker_api.Worker(ctx.obj, interval=interval)
    totals = vars(worker.run(stop, on_round, once=once))
    if json_out:
        render.print_json(totals)
    else:
        render.out.print(", ".join(f"{k} {v}" for k, v in totals.items()), highlight=False)


def _round_line(number: int, done: Any, seconds: float, json_out: bool) -> None:
    """One line per round on stderr: what it scheduled, matched, delivered and what failed."""
    doc = {"round": number, "at": clock.iso_ms(clock.now_ms()), "scheduled": done.scheduled,
           "events": done.dispatched, "queued": done.queued, "delivered": done.delivered,
           "retried": done.retried, "failed": done.dead, "jobs": done.jobs,
           "seconds": round(seconds, 3)}  # fmt: skip
    if json_out:
        sys.stderr.write(render.to_json(doc) + "\n")
        return
    jobs = "".join(f"; {j}" for j in done.jobs)
    render.err.print(
        f"{doc['at']} round {number}: {done.scheduled} scheduled, {done.dispatched} event(s) "
        f"read, {done.queued} queued, {done.delivered} delivered, {done.retried} to retry, "
        f"{done.dead} failed (dead-lettered){jobs}",
        soft_wrap=True,
    )
