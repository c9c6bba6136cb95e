"""How much flow-log data a broader flow log would make: records and GB a day per VPC, subnet
and interface ("think before turning on flow logs for a whole VPC"). Interfaces with flow logs
are measured from the lake; interfaces the latest snapshot lists without any flow-log records
(instance A2 in the demo) are projected from the median of the measured interfaces in the same
subnet, else the same VPC, else all of them, and say so. Interfaces map to subnets and VPCs
through the records (vpc-id / subnet-id) or the snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any, Final

from vigil.config import Settings
from vigil.query.engine import open_engine

BYTES_PER_RECORD: Final = 110  # a default-format line, gzip not counted: what delivery stores raw
LEVELS: Final = ("vpc", "subnet", "interface")


@dataclass(frozen=True)
class Estimate:
    """Flow-log records and GB a day for one VPC, subnet or interface, and what it rests on."""

    level: str  # vpc | subnet | interface
    id: str
    records_per_day: int
    gb_per_day: float
    basis: str  # measured, or how it was projected


def _estimate(level: str, key: str, per_day: float, basis: str) -> Estimate:
    gb = round(per_day * BYTES_PER_RECORD / 1e9, 4)
    return Estimate(level, key, int(per_day), gb, basis)


def project(
    measured: dict[str, tuple[str, str, float]], places: dict[str, tuple[str, str]]
) -> list[Estimate]:
    """Estimates for VPCs, subnets and interfaces (largest first within each level).

    `measured`: interface → (vpc, subnet, records a day); `places`: interface → (vpc, subnet)
    for every interface the account has."""
    interfaces: dict[str, tuple[str, str, float, str]] = {
        eni: (vpc, subnet, per_day, "measured") for eni, (vpc, subnet, per_day) in measured.items()
    }
    for eni, (vpc, subnet) in places.items():
        if eni in interfaces:
            continue
        for scope, peers in (
            (f"subnet {subnet}", [m[2] for m in measured.values() if m[1] == subnet]),
            (f"VPC {vpc}", [m[2] for m in measured.values() if m[0] == vpc]),
            ("all measured interfaces", [m[2] for m in measured.values()]),
        ):
            if peers:
                basis = f"projected: median of {len(peers)} measured interface(s) in {scope}"
                interfaces[eni] = (vpc, subnet, median(peers), basis)
                break
    totals: dict[tuple[str, str], list[Any]] = {}
    for vpc, subnet, per_day, basis in interfaces.values():
        for level, key in (("vpc", vpc), ("subnet", subnet)):
            entry = totals.setdefault((level, key), [0.0, False])
            entry[0] += per_day
            entry[1] = entry[1] or basis != "measured"
    rows = [
        _estimate(level, key, total, "includes projected interfaces" if guessed else "measured")
        for (level, key), (total, guessed) in totals.items()
    ]
    rows += [_estimate("interface", eni, v[2], v[3]) for eni, v in interfaces.items()]
    return sorted(rows, key=lambda r: (LEVELS.index(r.level), -r.records_per_day, r.id))


def estimate(settings: Settings) -> list[Estimate]:
    places: dict[str, tuple[str, str]] = {}
    try:
        from vigil.posture.snapshot import latest

        snap = latest(settings)
        for account, regions in snap.accounts.items():
            for region in regions:
                found = snap.get(account, region, "ec2 describe-network-interfaces") or {}
                for eni in found.get("NetworkInterfaces", []):
                    places[eni["NetworkInterfaceId"]] = (
                        eni.get("VpcId", "?"),
                        eni.get("SubnetId", "?"),
                    )
    except Exception:  # no snapshot (or an odd one): measure what the lake has
        places = {}
    with open_engine(settings, engine="duckdb") as engine:  # a measure, not a detection
        rows = engine.rows(
            "SELECT interface_id, any_value(vpc_id) AS vpc, any_value(subnet_id) AS subnet, "
            "count(*) / greatest(count(DISTINCT date), 1) AS per_day FROM flow_logs "
            "WHERE interface_id IS NOT NULL GROUP BY interface_id"
        )
    measured = {}
    for eni, vpc, subnet, per_day in rows:
        known = places.get(eni, ("?", "?"))
        measured[eni] = (vpc or known[0], subnet or known[1], float(per_day))
    return project(measured, places)
