"""The flow explorer: over the newest `window` of VPC flow logs, the top talkers, rejected
traffic and ports per VPC, subnet and interface, and one interface's traffic over time; with
Route 53 Resolver query logs in the lake, the names that resolved to the talkers' addresses and
the DNS queries of the interface's instance (or the address) in the same window.

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
    names: dict[str, list[str]] = field(default_factory=dict)  # address → names resolving to it
    queries: list[dict[str, Any]] = field(default_factory=list)  # the narrowed-to host's DNS
    asking: list[str] = field(default_factory=list)  # what `queries` are of (instances, addresses)


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
    _dns(rows, view, report, start, int(end), limit)
    return report


def _dns(rows: Callable[[str], list[dict[str, Any]]], view: FlowView, report: FlowReport,
         start: int, end: int, limit: int) -> None:  # fmt: skip
    """The DNS side of the window: what the talkers' addresses were looked up as, and what the
    narrowed-to interface's instance (or address) asked for."""
    # lookups come before the flows they name; a flow record covers up to 10 minutes after its start
    low, high = f"to_timestamp({start - 300})", f"to_timestamp({end + 600})"
    window = f"query_ts >= {low} AND query_ts <= {high}"
    days = f"date BETWEEN CAST({low} AS DATE) AND CAST({high} AS DATE)"
    peers = sorted({str(t[k]) for t in report.talkers for k in ("srcaddr", "dstaddr") if t[k]})
    if peers:
        listed = ", ".join(_quoted(a) for a in peers)
        for row in rows(
            f"SELECT a.Rdata AS address, list(DISTINCT rtrim(query_name, '.') ORDER BY "
            f"rtrim(query_name, '.'))[1:3] AS names FROM (SELECT unnest(answers) AS a, query_name "
            f"FROM dns_logs WHERE {days} AND {window}) WHERE a.Rdata IN ({listed}) GROUP BY 1"
        ):
            report.names[str(row["address"])] = list(row["names"])
    hosts = _hosts(rows, view, start, end)
    if not hosts:
        return
    instances = [h for h in hosts if h.startswith("i-")]
    addresses = [h for h in hosts if not h.startswith("i-")]
    asked = (
        [f"srcids.instance IN ({', '.join(_quoted(i) for i in instances)})"] if instances else []
    )
    if addresses:
        asked.append(f"srcaddr IN ({', '.join(_quoted(a) for a in addresses)})")
    report.asking = hosts
    report.queries = rows(
        f"SELECT rtrim(query_name, '.') AS name, query_type AS type, "
        f"string_agg(DISTINCT rcode, ' ') AS rcodes, count(*) AS queries, "
        f"string_agg(DISTINCT answers[1].Rdata, ' ') AS answers, "
        f"max(firewall_rule_action) AS firewall, min(query_ts) AS first, max(query_ts) AS last "
        f"FROM dns_logs WHERE {days} AND {window} AND ({' OR '.join(asked)}) "
        f"GROUP BY 1, 2 ORDER BY queries DESC, name LIMIT {limit}"
    )


def _hosts(rows: Callable[[str], list[dict[str, Any]]], view: FlowView, start: int,
           end: int) -> list[str]:  # fmt: skip
    """Whose DNS queries to show: the address narrowed to, or the interface's instance and its
    own (private) address as its flow records name them."""
    if view.address:
        return [view.address]
    if not view.interface:
        return []
    where = f"interface_id = {_quoted(view.interface)} AND start >= {start} AND start <= {end}"
    found = rows(
        f"(SELECT DISTINCT instance_id AS host FROM flow_logs WHERE {where} AND instance_id "
        f"IS NOT NULL LIMIT 3) UNION ALL (SELECT srcaddr FROM flow_logs WHERE {where} AND "
        f"is_private_ip(srcaddr) GROUP BY srcaddr ORDER BY count(*) DESC LIMIT 1)"
    )
    return [str(r["host"]) for r in found if r["host"]]


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
