"""Benchmark: the posture audit of 50 accounts x 4 regions.

Each account is AnyCompany's production account from the demo configuration (trails, VPCs,
interfaces, flow logs, CIS filters and alarms), copied under 50 account ids and 4 regions, with
200 network interfaces a region; every check runs over the whole snapshot.

    python benchmarks/posture.py [--accounts 50] [--regions 4] [--enis 200]
"""

from __future__ import annotations

import argparse
import copy
import resource
import tempfile
import time
from pathlib import Path

from common import machine
from vigil.demo import config
from vigil.demo import scenario as sc
from vigil.posture.audit import audit, load_checks
from vigil.posture.snapshot import import_dir


def snapshot(accounts: int, regions: int, enis: int) -> tuple[object, int]:
    with tempfile.TemporaryDirectory() as tmp:
        base = import_dir(config.write(Path(tmp), "2026-11-24"))
    template = base.accounts[sc.SECURITY]["us-east-1"]
    template_global = base.accounts[sc.SECURITY]["global"]
    prod = base.accounts[sc.PRODUCTION]["us-east-1"]
    names = [f"us-test-{i}" for i in range(regions)]
    for a in range(accounts):
        account = f"{900000000000 + a}"
        per = {}
        for region in names:
            calls = copy.deepcopy(template)
            calls.update({k: copy.deepcopy(v) for k, v in prod.items() if k.startswith("ec2")})
            interfaces = calls["ec2 describe-network-interfaces"]["NetworkInterfaces"]
            calls["ec2 describe-network-interfaces"]["NetworkInterfaces"] = [
                {**interfaces[i % len(interfaces)], "NetworkInterfaceId": f"eni-{a:03d}{i:05d}"}
                for i in range(enis)
            ]
            per[region] = calls
        per["global"] = copy.deepcopy(template_global)
        base.accounts[account] = per
    return base, accounts * regions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--enis", type=int, default=200)
    args = parser.parse_args()
    snap, cells = snapshot(args.accounts, args.regions, args.enis)
    units = load_checks()
    began = time.perf_counter()
    results = audit(snap, units)  # type: ignore[arg-type]
    seconds = time.perf_counter() - began
    print(f"posture — {machine()}")
    print(
        f"  {len(units)} checks over {cells} account-regions ({args.enis} interfaces each): "
        f"{len(results):,} results in {seconds:.2f} s"
    )
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
