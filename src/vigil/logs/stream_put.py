"""`vigil logs put G S -`: stdin as a stream, as a log agent sends it. Each line is stamped
when it is read; a batch goes out at least every second, or at 1,000 lines, in the order read
(a line with its own `timestamp` keeps it, and the batch is put in time order as
PutLogEvents requires)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final, TextIO

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.put import InputEvent, OnStored, put_log_events

MAX_LINES: Final = 1000
MAX_WAIT_S: Final = 1.0
_EOF: Final = object()


def stream_put(
    settings: Settings,
    group: str,
    stream: str,
    source: TextIO,
    on_batch: Callable[[int, int, dict[str, int]], None],
    *,
    read: Callable[[Iterable[str], str, int], tuple[list[InputEvent], list[str]]],
    max_lines: int = MAX_LINES,
    max_wait: float = MAX_WAIT_S,
    on_stored: OnStored | None = None,
) -> list[str]:
    """Send batches as lines arrive; `on_batch(events, accepted, rejected)` after each call.
    Returns the per-line problems."""
    lines: queue.Queue[object] = queue.Queue()

    def reader() -> None:
        for line in source:
            lines.put((now_ms(), line))
        lines.put(_EOF)

    threading.Thread(target=reader, daemon=True, name="stdin-reader").start()
    problems: list[str] = []
    batch: list[InputEvent] = []
    deadline: float | None = None
    number = 0
    done = False
    while not done:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            item = lines.get(timeout=timeout)
        except queue.Empty:
            item = None
        if item is _EOF:
            done = True
        elif isinstance(item, tuple):
            stamp, text = item
            number += 1
            events, bad = read([text], f"stdin:{number}", stamp)
            batch += events
            problems += [p.replace(f"stdin:{number}:1:", f"stdin:{number}:") for p in bad]
            deadline = deadline or time.monotonic() + max_wait
        due = deadline is not None and time.monotonic() >= deadline
        if batch and (done or due or len(batch) >= max_lines):
            batch.sort(key=lambda e: e.timestamp)  # stable: lines stamped alike keep their order
            result = put_log_events(settings, group, stream, batch, on_stored=on_stored)
            on_batch(len(batch), result.accepted, result.rejected)
            batch, deadline = [], None
        elif due:
            deadline = None
    return problems
