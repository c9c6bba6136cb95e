"""Memory a busy server held for a burst, given back once the burst is over: Arrow's pool keeps
freed blocks for reuse, and glibc's malloc keeps freed pages in per-thread arenas; both are
asked to return what they no longer use."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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
    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        pool = arrow.default_memory_pool()
        if hasattr(pool, "release_unused"):
            pool.release_unused()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


M_ARENA_MAX = -8  # glibc's mallopt parameter


def for_a_server() -> None:
    """A long-running server's allocators: glibc keeps at most two arenas (one per core would
    do; a thread each holds freed pages apart), and Arrow allocates through the system's
    malloc, so `release` can give back what a burst used."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_ARENA_MAX, 2)
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
