"""For network checks: the flow logs of an account's region, as the snapshot has them."""

from __future__ import annotations

from typing import Any

from vigil.posture.snapshot import Snapshot


def flow_logs_of(snap: Snapshot, account: str, region: str) -> list[dict[str, Any]] | None:
    found = snap.get(account, region, "ec2 describe-flow-logs")
    return None if found is None else list(found.get("FlowLogs", []))
