"""Memory a busy server held for a burst, given back once the burst is over: Arrow's pool keeps
freed blocks for reuse, and glibc's malloc keeps freed pages in per-thread arenas; both are
asked to return what they no longer use."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release() -> None:
    """Return unused memory to the system (cheap when there is none to return)."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        pool = arrow.default_memory_pool()
        if hasattr(pool, "release_unused"):
            pool.release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
