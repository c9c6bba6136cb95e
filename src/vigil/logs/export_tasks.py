"""Export tasks (CreateExportTask, DescribeExportTasks, CancelExportTask): what to export, the
task's status as AWS spells it, and running one.

A task is PENDING when made, RUNNING while it writes, then COMPLETED, CANCELLED or FAILED with
a message. An account has one active (PENDING or RUNNING) task at a time. The destination is an
S3 bucket's name, as AWS takes it (written through `VIGIL_AWS_ENDPOINT_URL` when set, as
playbooks reach AWS), or (Vigil's own) a folder: `file:///abs/path`, an absolute path, or a
relative one with a slash, under `<home>/exports`.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from vigil.clock import now_ms
from vigil.config import Settings
from vigil.logs.export import export, write_test
from vigil.logs.groups import LogsError, LogStore

ACTIVE: Final = ("PENDING", "RUNNING")
CODES: Final = ("CANCELLED", "COMPLETED", "FAILED", "PENDING", "PENDING_CANCEL", "RUNNING")
DEFAULT_PREFIX: Final = "exportedlogs"
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_COLUMNS: Final = ("task_id, name, account, log_group, stream_prefix, from_ms, to_ms, "
                   "destination, prefix, status, message, created_ms, completed_ms")  # fmt: skip


@dataclass(frozen=True)
class ExportTask:
    task_id: str
    name: str | None
    account: str
    log_group: str
    stream_prefix: str | None
    from_ms: int
    to_ms: int
    destination: str
    prefix: str
    status: str
    message: str | None
    created_ms: int
    completed_ms: int | None

    def as_aws(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "taskId": self.task_id, "logGroupName": self.log_group, "from": self.from_ms,
            "to": self.to_ms, "destination": self.destination,
            "destinationPrefix": self.prefix, "status": {"code": self.status},
            "executionInfo": {"creationTime": self.created_ms},
        }  # fmt: skip
        if self.name:
            doc["taskName"] = self.name
        if self.message:
            doc["status"]["message"] = self.message
        if self.completed_ms is not None:
            doc["executionInfo"]["completionTime"] = self.completed_ms
        return doc


def destination_url(settings: Settings, destination: str) -> str:
    """Where a task writes: `s3://bucket` for a bucket's name, else a local folder."""
    if destination.startswith("s3://"):
        raise LogsError("InvalidParameterException",
                        f"destination {destination!r}: give the S3 bucket's name alone",
                        hint="destination=my-bucket, destinationPrefix=the/key/prefix")  # fmt: skip
    if destination.startswith("file://"):
        return str(Path(destination.removeprefix("file://")).absolute())
    if "/" in destination or destination.startswith("."):
        path = Path(destination)
        return str(path if path.is_absolute() else settings.home / "exports" / path)
    if not _BUCKET.fullmatch(destination) or ".." in destination:
        raise LogsError("InvalidParameterException",
                        f"destination {destination!r} is not an S3 bucket's name",
                        hint="a bucket's name, or a folder: file:///path or a path "
                        "with a slash")  # fmt: skip
    return f"s3://{destination}"


class ExportTaskStore(LogStore):
    def create(self, task: ExportTask) -> None:
        """Record a new PENDING task; LimitExceededException while the account has one."""
        with self.state.transaction() as db:
            busy = db.execute(
                "SELECT task_id FROM export_tasks WHERE account = ? AND status IN (?, ?)",
                (task.account, *ACTIVE),
            ).fetchone()
            if busy is not None:
                raise LogsError("LimitExceededException",
                                f"Resource limit exceeded: export task {busy[0]} is still "
                                "active; an account runs one export task at a time",
                                hint="wait for it, or cancel it (CancelExportTask)")  # fmt: skip
            db.execute(f"INSERT INTO export_tasks ({_COLUMNS}) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (task.task_id, task.name, task.account, task.log_group,
                        task.stream_prefix, task.from_ms, task.to_ms, task.destination,
                        task.prefix, task.status, task.message, task.created_ms,
                        task.completed_ms))  # fmt: skip

    def tasks(self, task_id: str | None = None, status: str | None = None) -> list[ExportTask]:
        where, args = [], []
        if task_id:
            where.append("task_id = ?")
            args.append(task_id)
        if status:
            where.append("status = ?")
            args.append(status)
        sql = f"SELECT {_COLUMNS} FROM export_tasks"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.state.db.execute(sql + " ORDER BY created_ms DESC, task_id", args)
        return [ExportTask(*row) for row in rows.fetchall()]

    def task(self, task_id: str) -> ExportTask:
        found = self.tasks(task_id)
        if not found:
            raise LogsError("ResourceNotFoundException",
                            f"The specified export task does not exist: {task_id}")  # fmt: skip
        return found[0]

    def finish(self, task_id: str, status: str, message: str, *, only_if: tuple[str, ...]) -> bool:
        """Move the task to `status` if it is in one of `only_if`; whether it moved."""
        done = now_ms() if status not in ACTIVE else None
        with self.state.transaction() as db:
            moved = db.execute(
                "UPDATE export_tasks SET status = ?, message = ?, completed_ms = ? "
                f"WHERE task_id = ? AND status IN ({', '.join('?' for _ in only_if)})",
                (status, message, done, task_id, *only_if),
            )
            return moved.rowcount > 0


def create_task(
    settings: Settings,
    *,
    group: str,
    from_ms: int,
    to_ms: int,
    destination: str,
    prefix: str | None = None,
    stream_prefix: str | None = None,
    name: str | None = None,
    account: str,
    endpoint_url: str | None = None,
) -> ExportTask:
    """Check and record a task (PENDING); its writing is `run_task`'s."""
    if from_ms < 0 or to_ms < 0 or from_ms > to_ms:
        raise LogsError("InvalidParameterException",
                        f"from ({from_ms}) and to ({to_ms}) are epoch milliseconds, from "
                        "before to")  # fmt: skip
    url = destination_url(settings, destination)
    prefix = DEFAULT_PREFIX if prefix is None else prefix
    with ExportTaskStore(settings) as store:
        info = store.group(group)
        if to_ms < info.created_ms:
            raise LogsError("InvalidParameterException",
                            f"to ({to_ms}) is earlier than when log group {group!r} was "
                            f"created ({info.created_ms})")  # fmt: skip
        try:
            write_test(url, prefix, _endpoint(endpoint_url))
        except (OSError, ValueError) as exc:
            refused = f"the destination {destination!r} cannot be written: {exc}"
            raise LogsError("InvalidParameterException", refused) from None
        task = ExportTask(str(uuid.uuid4()), name, account, group, stream_prefix, from_ms,
                          to_ms, destination, prefix, "PENDING", "Pending.", now_ms(),
                          None)  # fmt: skip
        store.create(task)
    return task


def run_task(settings: Settings, task_id: str, endpoint_url: str | None = None) -> ExportTask:
    """Write a PENDING task's export, unless it is cancelled first or meanwhile."""
    with ExportTaskStore(settings) as store:
        task = store.task(task_id)
        if not store.finish(task_id, "RUNNING", "Started.", only_if=("PENDING",)):
            return store.task(task_id)

    def cancelled() -> bool:
        with ExportTaskStore(settings) as store:
            return store.task(task_id).status == "CANCELLED"

    try:
        result = export(settings, task.log_group, destination_url(settings, task.destination),
                        start=task.from_ms, end=task.to_ms + 1, prefix=task.prefix,
                        stream_prefix=task.stream_prefix, endpoint_url=_endpoint(endpoint_url),
                        task_id=task_id, cancelled=cancelled)  # fmt: skip
        status, message = (("CANCELLED", "Cancelled by user") if result.cancelled
                           else ("COMPLETED", "Completed successfully"))  # fmt: skip
    except Exception as exc:  # the task says why it failed; the server goes on
        status, message = "FAILED", f"{type(exc).__name__}: {exc}"
    with ExportTaskStore(settings) as store:
        store.finish(task_id, status, message, only_if=("RUNNING",))
        return store.task(task_id)


def _endpoint(given: str | None) -> str | None:
    return given or os.environ.get("VIGIL_AWS_ENDPOINT_URL") or None


def cancel_task(settings: Settings, task_id: str) -> None:
    """CancelExportTask: a PENDING or RUNNING task stops; InvalidOperationException else."""
    with ExportTaskStore(settings) as store:
        task = store.task(task_id)
        if not store.finish(task_id, "CANCELLED", "Cancelled by user", only_if=ACTIVE):
            raise LogsError("InvalidOperationException",
                            f"The export task {task_id} is {task.status}; only a PENDING or "
                            "RUNNING task can be cancelled")  # fmt: skip


def export_tasks(
    settings: Settings, task_id: str | None = None, status: str | None = None
) -> list[ExportTask]:
    """DescribeExportTasks, the newest first."""
    if status is not None and status not in CODES:
        raise LogsError("InvalidParameterException",
                        f"1 validation error detected: Value '{status}' at 'statusCode' failed "
                        f"to satisfy constraint: Member must satisfy enum value set: "
                        f"[{', '.join(CODES)}]")  # fmt: skip
    with ExportTaskStore(settings) as store:
        return store.tasks(task_id, status)


def abandon_active(settings: Settings) -> int:
    """Tasks a stopped server left PENDING or RUNNING are FAILED (a new server runs no task
    it did not start); how many."""
    with ExportTaskStore(settings) as store:
        stale = [t.task_id for t in store.tasks() if t.status in ACTIVE]
        for task_id in stale:
            store.finish(task_id, "FAILED", "the server stopped before the export ended",
                         only_if=ACTIVE)  # fmt: skip
    return len(stale)
