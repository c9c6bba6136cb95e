"""The tags of the resources the newest posture snapshot shows, for tuning exceptions by tag
(`exceptions: {tags: {Role: scanner}}`): instances (`ec2 describe-instances` Tags; their
network interfaces and volumes carry the instance's tags too), network interfaces
(`ec2 describe-network-interfaces` TagSet) and NAT gateways. Table `resource_tags`
(resource_id, key, value) in the detection connection; empty without a snapshot."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from vigil.query.engine import Engine

Row = tuple[str, str, str]


def _items(value: Any, key: str) -> list[dict[str, Any]]:
    found = value.get(key) if isinstance(value, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def _pairs(tags: Any) -> list[tuple[str, str]]:
    return [
        (str(t["Key"]), str(t.get("Value", "")))
        for t in tags if isinstance(t, dict) and "Key" in t
    ] if isinstance(tags, list) else []  # fmt: skip


def resource_tags(accounts: dict[str, Any]) -> list[Row]:
    rows: set[Row] = set()
    for regions in accounts.values():
        for calls in regions.values() if isinstance(regions, dict) else []:
            if not isinstance(calls, dict):
                continue
            for reservation in _items(calls.get("ec2 describe-instances"), "Reservations"):
                for inst in _items(reservation, "Instances"):
                    pairs = _pairs(inst.get("Tags"))
                    ids = [inst.get("InstanceId")]
                    ids += [n.get("NetworkInterfaceId")
                            for n in _items(inst, "NetworkInterfaces")]  # fmt: skip
                    ids += [(b.get("Ebs") or {}).get("VolumeId")
                            for b in _items(inst, "BlockDeviceMappings")]  # fmt: skip
                    rows.update((i, k, v) for i in ids if isinstance(i, str) for k, v in pairs)
            for eni in _items(calls.get("ec2 describe-network-interfaces"), "NetworkInterfaces"):
                eni_id = eni.get("NetworkInterfaceId")
                if isinstance(eni_id, str):
                    rows.update((eni_id, k, v) for k, v in _pairs(eni.get("TagSet")))
            for nat in _items(calls.get("ec2 describe-nat-gateways"), "NatGateways"):
                nat_id = nat.get("NatGatewayId")
                if isinstance(nat_id, str):
                    rows.update((nat_id, k, v) for k, v in _pairs(nat.get("Tags")))
    return sorted(rows)


def register(engine: Engine, rows: list[Row]) -> None:
    engine.load_table(
        "resource_tags",
        pa.table(
            {
                "resource_id": pa.array([r[0] for r in rows], pa.string()),
                "key": pa.array([r[1] for r in rows], pa.string()),
                "value": pa.array([r[2] for r in rows], pa.string()),
            }
        ),
    )
