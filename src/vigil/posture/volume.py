"""How much flow-log data a broader flow log would make: records and GB a day per VPC, subnet
and interface, measured from the flow logs already in the lake ("think before turning on flow
logs for a whole VPC"). Interfaces map to subnets and VPCs through the latest snapshot when
the records do not carry vpc-id / subnet-id themselves."""

from __future__ import annotations

from typing import Any, Final

from vigil.config import Settings
from vigil.lake.catalog import connect

BYTES_PER_RECORD: Final = 110  # a default-format line, gzip not counted: what delivery stores raw


def estimate(settings: Settings) -> list[dict[str, Any]]:
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
    except Exception:
        pass
    con = connect(settings.lake_dir)
    try:
        rows = con.sql(
            "SELECT interface_id, any_value(vpc_id) AS vpc, any_value(subnet_id) AS subnet, "
            "count(*) / greatest(count(DISTINCT date), 1) AS per_day FROM flow_logs "
            "WHERE interface_id IS NOT NULL GROUP BY interface_id ORDER BY per_day DESC"
        ).fetchall()
    finally:
        con.close()
    out: list[dict[str, Any]] = []
    totals: dict[tuple[str, str], float] = {}
    for eni, vpc, subnet, per_day in rows:
        vpc, subnet = (
            (vpc or places.get(eni, ("?", "?"))[0]),
            (subnet or places.get(eni, ("?", "?"))[1]),
        )
        for level, key in (("vpc", vpc), ("subnet", subnet)):
            totals[(level, key)] = totals.get((level, key), 0.0) + float(per_day)
        out.append(
            {
                "level": "interface",
                "id": eni,
                "records_per_day": int(per_day),
                "gb_per_day": round(per_day * BYTES_PER_RECORD / 1e9, 4),
            }
        )
    for (level, key), per_day in sorted(totals.items(), key=lambda kv: -kv[1]):
        out.insert(
            0,
            {
                "level": level,
                "id": key,
                "records_per_day": int(per_day),
                "gb_per_day": round(per_day * BYTES_PER_RECORD / 1e9, 4),
            },
        )
    return out
