"""`vigil agent`: tail log files (and receive syslog) into CloudWatch Logs, Vigil's or AWS's,
with checkpoints."""

from __future__ import annotations

import logging
import signal
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from vigil.api import agent
from vigil.shells import render


def agent_command(
    config: Annotated[Path, typer.Option("--config", help="agent.yaml (CloudWatch agent keys).")],
    once: Annotated[bool, typer.Option(help="Read what is there, send it, and exit.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Tail files (and receive syslog) into CloudWatch Logs: Vigil's or AWS's."""
    import threading

    settings = agent.load(config)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    totals = agent.run(settings, stop, once=once)
    text = (f"sent {totals.sent} events in {totals.calls} calls ({totals.retries} retries, "
            f"{totals.rejected} rejected)")  # fmt: skip
    render.done(json_out, text, asdict(totals))
