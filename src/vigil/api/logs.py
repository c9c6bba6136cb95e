"""CloudWatch Logs: puts that run the group's metric filters, as PutLogEvents does."""

from __future__ import annotations

from pathlib import Path

from vigil.config import Settings
from vigil.logs.files import PutSummary
from vigil.logs.put import InputEvent, PutResult
from vigil.metrics.filters import apply_filters

__all__ = ["InputEvent", "PutResult", "PutSummary", "apply_filters"]


def put_log_events(
    settings: Settings,
    group: str,
    stream: str,
    events: list[InputEvent],
    *,
    now: int | None = None,
) -> PutResult:
    from vigil.logs.put import put_log_events as put

    return put(settings, group, stream, events, now=now, on_stored=apply_filters)


def put_file(
    settings: Settings, group: str, stream: str, path: Path | None, *, create: bool = False
) -> PutSummary:
    """A file's lines (stdin when `path` is None, streamed as lines arrive) into a stream."""
    from vigil.logs.files import put_file as put

    return put(settings, group, stream, path, create=create, on_stored=apply_filters)


def put_messages(settings: Settings, group: str, stream: str, messages: list[str]) -> int:
    """Messages stamped now, the group and stream created when missing."""
    from vigil.logs.files import put_events_now

    return put_events_now(settings, group, stream, messages, on_stored=apply_filters)
