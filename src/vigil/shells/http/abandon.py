"""A query's request abandoned by its client stops the query: the work runs on a thread while
the request is watched, and a disconnect sets the query's Cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

import anyio
from starlette.requests import Request

from vigil.api import lake

T = TypeVar("T")
LOOK_EVERY: Final = 0.2  # seconds between looks at the connection


async def unless_abandoned(request: Request, work: Callable[[lake.Cancel], T]) -> T:
    """`work(cancel)` on a worker thread; `cancel` is set if the client goes away first."""
    cancel = lake.Cancel()

    async def watch() -> None:
        while not await request.is_disconnected():
            await anyio.sleep(LOOK_EVERY)
        cancel.set()

    outcome: list[T] = []
    failure: list[BaseException] = []
    async with anyio.create_task_group() as group:  # (its errors would come as a group)
        group.start_soon(watch)
        try:
            outcome.append(await anyio.to_thread.run_sync(work, cancel))
        except Exception as exc:
            failure.append(exc)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    return outcome[0]
