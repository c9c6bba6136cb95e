"""CloudWatch Logs export tasks: CreateExportTask (checked and recorded at once, written in the
background), DescribeExportTasks and CancelExportTask."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vigil import api
from vigil.shells.http.aws import AwsError, Caller, need
from vigil.shells.http.aws.logs_paging import page


def _ms(p: dict[str, Any], name: str) -> int:
    value = need(p, name)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AwsError("InvalidParameterException", f"{name} is epoch milliseconds") from None


class ExportTasks:
    """One task writes at a time (an account has one active), on a thread of its own."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-export")
        self.lock = threading.Lock()
        self.checked = False

    def _settle(self, s: api.Settings) -> None:
        """Tasks a previous server left active are failed, once, before this one runs any."""
        with self.lock:
            if not self.checked:
                api.logs.abandon_active(s)
                self.checked = True

    def create(self, s: api.Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(s)
        task = api.logs.create_task(
            s, group=need(p, "logGroupName"), from_ms=_ms(p, "from"), to_ms=_ms(p, "to"),
            destination=need(p, "destination"), prefix=p.get("destinationPrefix"),
            stream_prefix=p.get("logStreamNamePrefix") or None, name=p.get("taskName"),
            account=c.account,
        )  # fmt: skip
        self.pool.submit(api.logs.run_task, s, task.task_id)
        return {"taskId": task.task_id}

    def describe(self, s: api.Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(s)
        found = [t for t in api.logs.export_tasks(s, p.get("taskId"), p.get("statusCode"))
                 if t.account == c.account]  # fmt: skip
        shown, token = page(found, p, 50, 50)
        return {
            "exportTasks": [t.as_aws() for t in shown],
            **({"nextToken": token} if token else {}),
        }

    def cancel(self, s: api.Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        self._settle(s)
        ident = need(p, "taskId")
        if not any(t.account == c.account for t in api.logs.export_tasks(s, ident)):
            raise AwsError("ResourceNotFoundException",
                           f"The specified export task does not exist: {ident}")  # fmt: skip
        api.logs.cancel_task(s, ident)
        return {}
