"""CloudWatch Logs Insights: StartQuery, GetQueryResults (rows with `@ptr`, statistics),
DescribeQueries, StopQuery and GetLogRecord. Queries run in the background and are kept an hour
in the server's memory, as AWS keeps them for a while."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from vigil.api import Settings, lake, logs
from vigil.errors import PatternError
from vigil.shells.http.aws import AwsApiError, Caller
from vigil.shells.http.aws.logs_paging import group_of, integer, limit_of, page, text

KEPT_SECONDS: Final = 3600.0
KEPT_RUNS: Final = 200
MAX_RUNNING: Final = 100  # queries running at once in an account (AWS's current quota)
STATUSES: Final = ("Scheduled", "Running", "Complete", "Failed", "Cancelled", "Timeout", "Unknown")


@dataclass
class Run:
    future: Future[Any]
    cancel: lake.Cancel
    query: str  # as the client gave it
    groups: list[str]
    created_ms: int
    user: str

    def status(self) -> str:
        if self.future.cancelled() or (self.cancel.is_set() and self.future.done()):
            return "Cancelled"
        if not self.future.done():
            return "Running" if self.future.running() else "Scheduled"
        return "Failed" if self.future.exception() is not None else "Complete"


def _stats(answer: Any | None) -> dict[str, float]:
    if answer is None:
        return {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0}
    return {"recordsMatched": float(answer.matched), "recordsScanned": float(answer.scanned),
            "bytesScanned": float(answer.bytes_scanned),
            "logGroupsScanned": float(answer.groups)}  # fmt: skip


def _text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ", timespec="milliseconds"))[:23]
    return str(value)


def _groups(p: dict[str, Any]) -> list[str]:
    names, identifiers = p.get("logGroupNames") or [], p.get("logGroupIdentifiers") or []
    if not isinstance(names, list) or not isinstance(identifiers, list):
        raise AwsApiError("InvalidParameterException",
                       "logGroupNames and logGroupIdentifiers are lists")  # fmt: skip
    if not all(isinstance(g, str) for g in (*names, *identifiers)):
        raise AwsApiError("InvalidParameterException", "log group names are strings")
    groups = [*names, *([text(p, "logGroupName")] if p.get("logGroupName") else [])]
    groups += [group_of(x) for x in identifiers]
    if not groups:
        raise AwsApiError(
            "InvalidParameterException", "give logGroupName, logGroupNames or logGroupIdentifiers"
        )
    return groups


class Queries:
    """Logs Insights queries started by StartQuery, run in the background, kept an hour."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="insights")
        self.lock = threading.Lock()
        self.runs: dict[str, Run] = {}

    def start(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        groups = _groups(p)
        query = str(text(p, "queryString", required=True))
        limited = f"{query} | limit {limit_of(p, 1000, 10_000)}" if p.get("limit") else query
        start, end = integer(p, "startTime") * 1000, integer(p, "endTime") * 1000 + 999
        known = {g.name for g in logs.groups(s)}
        for g in groups:  # an unknown group or a query that does not parse fails now, not later
            if g not in known:
                raise AwsApiError("ResourceNotFoundException", f"Log group '{g}' does not exist")
        try:
            logs.check_insights(limited)
        except PatternError as exc:
            raise AwsApiError("MalformedQueryException", exc.message) from None
        self._forget_old()
        with self.lock:
            busy = sum(1 for r in self.runs.values() if not r.future.done())
        if busy >= MAX_RUNNING:
            message = f"{busy} queries are running; at most {MAX_RUNNING} at once"
            raise AwsApiError("LimitExceededException", message)
        ident = str(uuid.uuid4())
        cancel = lake.Cancel()
        future = self.pool.submit(logs.run_query, s, limited, groups=groups, start=start,
                                  end=end, cancel=cancel)  # fmt: skip
        with self.lock:
            self.runs[ident] = Run(future, cancel, query, groups, int(time.time() * 1000), c.user)
        return {"queryId": ident}

    def _forget_old(self) -> None:
        """Results are kept an hour, and only the newest KEPT_RUNS of them (each holds up to
        10,000 rows): what a client never collects does not pile up."""
        now = time.time() * 1000
        with self.lock:
            done = [k for k, r in self.runs.items()
                    if r.future.done() and now - r.created_ms > KEPT_SECONDS * 1000]  # fmt: skip
            for key in done:
                del self.runs[key]
            extra = len(self.runs) - KEPT_RUNS + 1
            for key in list(self.runs)[: max(0, extra)]:
                self.runs[key].cancel.set()
                self.runs[key].future.cancel()
                del self.runs[key]

    def _run(self, p: dict[str, Any]) -> tuple[str, Run]:
        ident = str(text(p, "queryId", required=True))
        with self.lock:
            run = self.runs.get(ident)
        if run is None:
            raise AwsApiError("ResourceNotFoundException", f"Query does not exist: {ident}")
        return ident, run

    def results(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, run = self._run(p)
        status = run.status()
        if status != "Complete":
            if status == "Failed":
                raise AwsApiError("MalformedQueryException", str(run.future.exception()))
            return {"status": status, "results": [], "statistics": _stats(None)}
        answer = run.future.result()
        rows = [[{"field": k, "value": "" if v is None else _text(v)} for k, v in row.items()]
                for row in answer.table.to_pylist()]  # fmt: skip
        out = {"status": "Complete", "results": rows, "statistics": _stats(answer)}
        if p.get("maxItems") is not None or p.get("nextToken"):  # pages of maxItems rows
            out["results"], token = page(rows, p, 10_000, 10_000, "maxItems")
            if token:
                out["nextToken"] = token
        return out

    def stop(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        ident, run = self._run(p)
        if run.future.done():
            raise AwsApiError("InvalidParameterException",
                           f"Query {ident} is not running (it is {run.status()})")  # fmt: skip
        run.cancel.set()  # a running query is interrupted; a waiting one never starts
        run.future.cancel()
        return {"success": True}

    def describe(self, s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """DescribeQueries: the newest first, by log group and status."""
        status, group = text(p, "status"), text(p, "logGroupName")
        if status is not None and status not in STATUSES:
            raise AwsApiError("InvalidParameterException",
                           f"1 validation error detected: Value '{status}' at 'status' failed "
                           f"to satisfy constraint: Member must satisfy enum value set: "
                           f"[{', '.join(STATUSES)}]")  # fmt: skip
        if group and group not in {g.name for g in logs.groups(s)}:
            raise AwsApiError("ResourceNotFoundException", f"Log group '{group}' does not exist")
        if text(p, "queryLanguage") not in (None, "CWLI"):  # SQL and PPL are not served
            return {"queries": []}
        self._forget_old()
        with self.lock:
            runs = sorted(self.runs.items(), key=lambda kv: -kv[1].created_ms)
        found = []
        for ident, run in runs:
            now = run.status()
            if (status and now != status) or (group and group not in run.groups):
                continue
            found.append({"queryId": ident, "queryString": run.query, "status": now,
                          "createTime": run.created_ms, "logGroupName": run.groups[0],
                          "queryLanguage": "CWLI", "userIdentity": run.user})  # fmt: skip
        shown, token = page(found, p, 1000, 1000, "maxResults")
        return {"queries": shown, **({"nextToken": token} if token else {})}


def get_log_record(s: Settings, c: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return {"logRecord": logs.get_log_record(s, str(text(p, "logRecordPointer", required=True)))}
