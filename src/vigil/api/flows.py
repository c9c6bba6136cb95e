"""The flow explorer: over the newest `window` of VPC flow logs, the top talkers, rejected
traffic and ports per VPC, subnet and interface, and one interface's traffic over time.

The window ends at the newest record in the lake (not the wall clock), so a lake of older logs
opens on its own last hours. Filters are values, never SQL: they are quoted here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from vigil.api.lake import session
from vigil.config import Settings
from vigil.errors import ConfigError

WINDOWS: Final = {"15m": 900, "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800}
_ID: Final = r"^[A-Za-z0-9.:_-]{1,64}$"


@dataclass(frozen=True)
class FlowView:
    window: str = "1h"
    account: str | None = None
    vpc: str | None = None
    subnet: str | None = None
    interface: str | None = None
    address: str | None = None  # traffic from or to this address
    limit: int = 20


@dataclass
class FlowReport:
    start: int | None = None  # epoch seconds
    end: int | None = None
    talkers: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    ports: list[dict[str, Any]] = field(default_factory=list)
    series: dict[str, Any] | None = None  # one interface: bytes and packets per bucket
    records: int = 0


def explore(settings: Settings, view: FlowView) -> FlowReport:
    seconds = WINDOWS.get(view.window)
    if seconds is None:
        raise ConfigError(f"no flow window {view.window!r}", hint=", ".join(WINDOWS))
    with session(settings) as query:
        return _explore(query, view, seconds)


def _explore(query: Callable[[str], Any], view: FlowView, seconds: int) -> FlowReport:
    newest = query("SELECT max(start) AS newest FROM flow_logs").to_pylist()
    end = newest[0]["newest"] if newest else None
    if end is None:
        return FlowReport()
    start = int(end) - seconds
    where = _where(view, start, int(end))
    limit = max(1, min(view.limit, 200))
    report = FlowReport(start=start, end=int(end))

    def rows(sql: str) -> list[dict[str, Any]]:
        return list(query(sql).to_pylist())

    report.records = rows(f"SELECT count(*) AS n FROM flow_logs WHERE {where}")[0]["n"]
    report.talkers = rows(
        f"SELECT srcaddr, dstaddr, {_int('sum(bytes)')} AS bytes, "
        f"{_int('sum(packets)')} AS packets, "
        f"count(*) AS flows FROM flow_logs WHERE {where} AND action = 'ACCEPT' "
        f"GROUP BY srcaddr, dstaddr ORDER BY bytes DESC NULLS LAST LIMIT {limit}"
    )
    report.rejected = rows(
        f"SELECT srcaddr, count(*) AS flows, count(DISTINCT dstport) AS ports, "
        f"min(dstport) AS lowest_port, max(dstport) AS highest_port, "
        f"count(DISTINCT interface_id) AS interfaces, min(interface_id) AS interface_id "
        f"FROM flow_logs WHERE {where} AND action = 'REJECT' "
        f"GROUP BY srcaddr ORDER BY flows DESC LIMIT {limit}"
    )
    report.ports = rows(
        f"SELECT coalesce(vpc_id, '-') AS vpc_id, coalesce(subnet_id, '-') AS subnet_id, "
        f"interface_id, dstport, count(*) AS flows, {_int('sum(bytes)')} AS bytes, "
        f"count(*) FILTER (WHERE action = 'REJECT') AS rejected FROM flow_logs "
        f"WHERE {where} GROUP BY 1, 2, interface_id, dstport ORDER BY flows DESC LIMIT {limit}"
    )
    if view.interface or view.address:
        step = max(60, seconds // 120)
        points = rows(
            f"SELECT start - start % {step} AS t, {_int('sum(bytes)')} AS bytes, "
            f"count(*) FILTER (WHERE action = 'REJECT') AS rejected FROM flow_logs "
            f"WHERE {where} GROUP BY 1 ORDER BY 1"
        )
        report.series = _series(points, start, int(end), step)
    return report


def _series(points: list[dict[str, Any]], start: int, end: int, step: int) -> dict[str, Any]:
    by_t = {int(p["t"]): p for p in points}
    xs = list(range(start - start % step, end + 1, step))
    return {"x": xs, "series": [
        {"label": "bytes", "values": [int(by_t[x]["bytes"] or 0) if x in by_t else 0 for x in xs]},
        {"label": "rejected flows", "scale": "y2",
         "values": [int(by_t[x]["rejected"] or 0) if x in by_t else 0 for x in xs]},
    ]}  # fmt: skip


def _int(expr: str) -> str:
    return f"CAST({expr} AS BIGINT)"


def _where(view: FlowView, start: int, end: int) -> str:
    clauses = [f"start >= {start}", f"start <= {end}"]
    wanted = [("account_id", view.account), ("vpc_id", view.vpc), ("subnet_id", view.subnet),
              ("interface_id", view.interface), ("address", view.address)]  # fmt: skip
    for column, value in wanted:
        if value:
            if not re.match(_ID, value):
                raise ConfigError(f"{column} {value!r} is not an id",
                                  hint="letters, digits and . : _ - only")  # fmt: skip
            if column == "address":
                clauses.append(f"(srcaddr = '{value}' OR dstaddr = '{value}')")
            else:
                clauses.append(f"{column} = '{value}'")
    return " AND ".join(clauses)
