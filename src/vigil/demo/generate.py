"""Generate the AnyCompany day as AWS-layout files, with a ground truth and a threat list."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from vigil.demo import access_logs, attacks, dns, dns_attacks, flowfiles, flows, trail
from vigil.demo import scenario as sc
from vigil.demo.scales import SCALES
from vigil.errors import ConfigError


@dataclass
class Generated:
    root: Path
    day: str
    scale: str
    flow_records: int = 0
    cloudtrail_events: int = 0
    dns_queries: int = 0
    access_log_records: int = 0
    files: dict[str, int] = field(default_factory=dict)

    @property
    def s3_root(self) -> Path:
        return self.root / "s3" / sc.BUCKET

    @property
    def access_log_root(self) -> Path:
        return self.root / "s3" / sc.ACCESS_LOG_BUCKET

    @property
    def cloudwatch_root(self) -> Path:
        return self.root / "cloudwatch-export"

    @property
    def ground_truth(self) -> Path:
        return self.root / "ground_truth.json"

    @property
    def threat_list(self) -> Path:
        return self.root / "threatlist.txt"

    @property
    def domain_list(self) -> Path:
        """Command-and-control names (added with --category c2)."""
        return self.root / "c2-domains.txt"


def generate(root: Path, scale: str = "small", day: str = "2026-11-24", seed: int = 7) -> Generated:
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}", hint=f"choose one of {', '.join(SCALES)}")
    n_flows, n_events, n_dns, n_uploads = SCALES[scale]
    start = attacks.day_start(day)
    rng = np.random.default_rng(seed)
    out = Generated(root, day, scale)
    attack_flows, truths = attacks.attack_flows(rng, start)
    covered = [eni for fl in sc.FLOW_LOGS for eni in fl.enis]
    per_eni = n_flows // len(covered)
    for fl in sc.FLOW_LOGS:
        parts = []
        for eni in fl.enis:
            inst = next(i for i in fl.network.instances if i.eni == eni)
            bg = flows.background(rng, inst, per_eni, int(start.timestamp()))
            parts += [bg, flows.replies(bg, rng), *attack_flows.get(eni, [])]
            parts.append(_nodata(inst, int(start.timestamp())))
        records = flows.Columns.concat(parts)
        written = flowfiles.write(fl, records, root)
        out.flow_records += (
            len(records) if fl.traffic == "ALL" else int((records.action != "REJECT").sum())
        )
        out.files[fl.destination] = out.files.get(fl.destination, 0) + len(written)
    pyrng = random.Random(seed)
    trail.reseed(seed)
    events = trail.background(pyrng, start, n_events)
    bad, more = attacks.attack_events(pyrng, start)
    events += bad
    truths += more
    n_access, objects, mass_read = access_logs.generate(
        events, pyrng, start, n_uploads, out.access_log_root
    )
    out.access_log_records, out.files["s3-access"] = n_access, len(objects)
    truths.append(mass_read)
    out.files["cloudtrail"] = len(trail.write(events, root, start))
    out.dns_queries, dns_files, more = _dns(rng, start, n_dns, out.s3_root)
    out.files["dns"] = dns_files
    truths += more
    out.cloudtrail_events = len(events)
    tampered = trail.tamper(root, start)
    out.ground_truth.write_text(
        json.dumps(
            {
                "day": day,
                "scale": scale,
                "attacks": [t.as_dict() for t in truths],
                "tampered_log_files": [str(tampered.relative_to(out.s3_root))],
                "blind_spots": [
                    {
                        "instance": "A2",
                        "eni": sc.instance("A2").eni,
                        "why": "no flow log covers instance A2's network interface",
                    }
                ],
            },
            indent=2,
        )
        + "\n"
    )
    out.threat_list.write_text("\n".join(sc.THREAT_LIST) + "\n")
    out.domain_list.write_text(f"# AnyCompany's C&C names\n{dns_attacks.C2_DOMAIN}\n")
    return out


def _dns(
    rng: np.random.Generator, start: datetime, n: int, bucket: Path
) -> tuple[int, int, list[attacks.Truth]]:
    """Every demo instance's query logs (`n` ordinary queries in all) with the planted
    ones, under the log archive bucket: (queries, files, ground truth)."""
    records, truths = dns_attacks.attack_queries(rng, start)
    everyone = [(net, inst) for net in sc.NETWORKS for inst in net.instances]
    for net, inst in everyone:
        times, lines = dns.background(rng, net, inst, n // len(everyone), int(start.timestamp()))
        records.setdefault(net.vpc_id, dns.Records()).add(times, lines)
    files = dns.write(records, bucket)
    return sum(len(r) for r in records.values()), len(files), truths


def _nodata(inst: sc.Instance, day_start: int) -> flows.Columns:
    """An idle capture window: AWS writes NODATA with only the ENI and the times filled."""
    n = 2
    start = day_start + np.array([1800, 5400])
    blank = np.full(n, "-", dtype=object)
    return flows.Columns(
        eni=np.full(n, inst.eni, dtype=object),
        srcaddr=blank,
        dstaddr=blank,
        srcport=np.zeros(n, dtype=np.int64),
        dstport=np.zeros(n, dtype=np.int64),
        protocol=np.zeros(n, dtype=np.int64),
        packets=np.zeros(n, dtype=np.int64),
        bytes=np.zeros(n, dtype=np.int64),
        start=start,
        end=start + 60,
        action=np.full(n, "NODATA", dtype=object),
        inbound=np.ones(n, dtype=bool),
        tcp_flags=np.zeros(n, dtype=np.int64),
    )


def flow_text_dataset(root: Path, records: int, per_day: int = 2_000_000, seed: int = 11) -> int:
    """S3 text flow logs (default format) for the production VPC, `per_day` records a day for
    as many days as `records` needs: data for ingest benchmarks. Returns the record count."""
    fl = sc.FlowLog(
        "fl-0bench000000000001",
        sc.PROD_USE1,
        tuple(i.eni for i in sc.PROD_USE1.instances),
        "ALL",
        "s3",
    )
    rng = np.random.default_rng(seed)
    first = attacks.day_start("2026-11-01")
    written = 0
    day = 0
    while records - written >= 10:
        n = min(per_day, records - written)
        start = int(first.timestamp()) + 86400 * day
        half = n // 2
        parts = []
        for index, inst in enumerate(sc.PROD_USE1.instances):
            share = half // len(sc.PROD_USE1.instances) + (
                1 if index < half % len(sc.PROD_USE1.instances) else 0
            )
            if share:
                bg = flows.background(rng, inst, share, start)
                parts += [bg, flows.replies(bg, rng)]
        batch = flows.Columns.concat(parts)
        flowfiles.write(fl, batch, root)
        written += len(batch)
        day += 1
    return written
