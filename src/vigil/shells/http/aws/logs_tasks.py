"""CloudWatch Logs export tasks: CreateExportTask (checked and recorded at once, written in the
background), DescribeExportTasks and CancelExportTask."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vigil.api import Settings, logs
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.logs_paging import integer, page, text


class ExportTasks:
    """One task writes at a time (an account has one active), on a thread of its own."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-export")
        self.lock = threading.Lock()
        self.checked = False

    def _settle(self, s: Settings) -> None:
        """Tasks a previous server left active are failed, once, before this one runs any."""
        with self.lock:
            if not self.checked:
                logs.abandon_active(s)
                self.checked = True

    def create(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(s)
        task = logs.create_task(
            s, group=str(text(p, "logGroupName", required=True)), from_ms=integer(p, "from"),
            to_ms=integer(p, "to"), destination=str(text(p, "destination", required=True)),
            prefix=text(p, "destinationPrefix"),
            stream_prefix=text(p, "logStreamNamePrefix") or None, name=text(p, "taskName"),
            account=c.account,
        )  # fmt: skip
        self.pool.submit(logs.run_task, s, task.task_id)
        return {"taskId": task.task_id}

    def describe(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(s)
        found = [t for t in logs.export_tasks(s, text(p, "taskId"), text(p, "statusCode"))
                 if t.account == c.account]  # fmt: skip
        shown, token = page(found, p, 50, 50)
        return {
            "exportTasks": [t.as_aws() for t in shown],
            **({"nextToken": token} if token else {}),
        }

    def cancel(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(s)
        ident = str(text(p, "taskId", required=True))
        if not any(t.account == c.account for t in logs.export_tasks(s, ident)):
            raise AwsApiError("ResourceNotFoundException",
                           f"The specified export task does not exist: {ident}")  # fmt: skip
        logs.cancel_task(s, ident)
        return {}
