"""What a query returns when it is read under limits, and how its client stops it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


class Cancel(threading.Event):
    """Set by whoever serves a query when its client goes away: the query stops."""


@dataclass(frozen=True)
class Answer:
    """A query's rows, read up to a limit: `truncated` when it had more."""

    table: pa.Table
    truncated: bool = False
