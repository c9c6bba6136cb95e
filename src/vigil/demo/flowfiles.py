"""Write demo flow records in the layouts AWS delivers: S3 text (daily or Hive hourly
partitions), S3 Parquet, and a CloudWatch Logs export (one stream per ENI, no header)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from isal import igzip

from vigil.demo import scenario as sc
from vigil.demo.flows import Columns
from vigil.formats.flowlog_fields import (
    DEFAULT_FORMAT,
    column_name,
    field_type,
    parse_format,
    record_version,
)


def field_values(fl: sc.FlowLog, c: Columns, fields: tuple[str, ...]) -> dict[str, pa.Array]:
    """Every field of the format as an Arrow array (None = `-`)."""
    n = len(c)
    net = fl.network
    by_eni = {i.eni: i for i in net.instances}
    egress = ~c.inbound
    dst = pa.array(c.dstaddr, type=pa.string())
    to_vpc = pc.starts_with(dst, net.cidr.split(".")[0] + ".").to_numpy(zero_copy_only=False)
    s3 = pc.starts_with(dst, "52.216.").to_numpy(zero_copy_only=False)
    s3_service = np.full(n, None, dtype=object)
    s3_service[s3] = "S3"
    enis, where = np.unique(c.eni.astype(str), return_inverse=True)
    subnets = np.array([by_eni[e].subnet for e in enis], dtype=object)[where]
    instances = np.array([by_eni[e].instance_id for e in enis], dtype=object)[where]
    nodata = np.asarray(c.action == "NODATA")
    values = {
        "version": np.full(n, record_version(fields)),
        "account-id": np.full(n, net.account, dtype=object),
        "interface-id": c.eni,
        "srcaddr": c.srcaddr,
        "dstaddr": c.dstaddr,
        "srcport": c.srcport,
        "dstport": c.dstport,
        "protocol": c.protocol,
        "packets": c.packets,
        "bytes": c.bytes,
        "start": c.start,
        "end": c.end,
        "action": c.action,
        "log-status": np.full(n, "OK", dtype=object),
        "vpc-id": np.full(n, net.vpc_id, dtype=object),
        "subnet-id": subnets,
        "instance-id": instances,
        "tcp-flags": c.tcp_flags,
        "type": np.full(n, "IPv4", dtype=object),
        "pkt-srcaddr": c.srcaddr,
        "pkt-dstaddr": c.dstaddr,
        "region": np.full(n, net.region, dtype=object),
        "az-id": np.full(
            n, "apse2-az1" if net.region == "ap-southeast-2" else "use1-az4", dtype=object
        ),
        "flow-direction": np.where(egress, "egress", "ingress").astype(object),
        "traffic-path": np.where(egress, np.where(to_vpc, 1, 8), -1),
        "pkt-dst-aws-service": s3_service,
    }
    out: dict[str, pa.Array] = {}
    for f in fields:
        typ = field_type(f)
        arr = (
            pa.array(values[f], type=typ)
            if typ != pa.string()
            else pa.array(values[f], type=pa.string())
        )
        if f == "traffic-path":
            arr = pc.if_else(pc.less(arr, 0), pa.scalar(None, typ), arr)
        if nodata.any() and f not in (
            "version",
            "account-id",
            "interface-id",
            "start",
            "end",
            "log-status",
        ):
            arr = pc.if_else(pa.array(nodata), pa.scalar(None, typ), arr)
        out[f] = arr
    if nodata.any():
        out["log-status"] = pc.if_else(pa.array(nodata), pa.scalar("NODATA"), out["log-status"])
    return out


def _lines(values: dict[str, pa.Array]) -> pa.Array:
    text = [pc.fill_null(arr.cast(pa.string()), "-") for arr in values.values()]
    return pc.binary_join_element_wise(*text, " ")


def write(fl: sc.FlowLog, c: Columns, root: Path) -> list[Path]:
    if fl.traffic != "ALL":
        keep = (c.action == fl.traffic) | (c.action == "NODATA")
        c = Columns(*(getattr(c, f)[keep] for f in Columns.__dataclass_fields__))
    order = np.argsort(c.end, kind="stable")
    c = Columns(*(getattr(c, f)[order] for f in Columns.__dataclass_fields__))
    fields = parse_format(fl.fmt) if fl.fmt else DEFAULT_FORMAT
    values = field_values(fl, c, fields)
    if fl.destination == "cloudwatch":
        return _cloudwatch(fl, c, values, root)
    if fl.destination == "s3-parquet":
        return _parquet(fl, c, values, fields, root)
    return _s3_text(fl, c, values, fields, root)


def _buckets(end: np.ndarray, seconds: int) -> list[tuple[int, int, int]]:
    """(bucket start epoch, first index, last index) of runs of equal end // seconds."""
    keys = end // seconds
    cuts = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate([[0], cuts])
    stops = np.concatenate([cuts, [len(end)]])
    return [
        (int(keys[a]) * seconds, int(a), int(b))
        for a, b in zip(starts, stops, strict=True)
        if b > a
    ]


def _s3_prefix(fl: sc.FlowLog, when: datetime, root: Path) -> Path:
    net = fl.network
    base = root / "s3" / sc.BUCKET / "AWSLogs"
    if fl.destination == "s3-hive-hourly":
        return (
            base
            / f"aws-account-id={net.account}"
            / "aws-service=vpcflowlogs"
            / f"aws-region={net.region}"
            / f"year={when:%Y}"
            / f"month={when:%m}"
            / f"day={when:%d}"
            / f"hour={when:%H}"
        )
    return (
        base / net.account / "vpcflowlogs" / net.region / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
    )


def _name(fl: sc.FlowLog, when: datetime, ext: str) -> str:
    net = fl.network
    tag = hashlib.sha1(f"{fl.flow_log_id}{when}".encode()).hexdigest()[:8]
    return (
        f"{net.account}_vpcflowlogs_{net.region}_{fl.flow_log_id}_{when:%Y%m%dT%H%M}Z_{tag}.{ext}"
    )


def _s3_text(
    fl: sc.FlowLog, c: Columns, values: dict[str, pa.Array], fields: tuple[str, ...], root: Path
) -> list[Path]:
    lines = _lines(values)
    header = " ".join(fields)
    written = []
    for start, a, b in _buckets(c.end, 300):
        when = datetime.fromtimestamp(start, UTC)
        path = _s3_prefix(fl, when, root) / _name(fl, when, "log.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        body = header + "\n" + "\n".join(lines.slice(a, b - a).to_pylist()) + "\n"
        path.write_bytes(igzip.compress(body.encode(), 1, mtime=0))
        written.append(path)
    return written


def _parquet(
    fl: sc.FlowLog, c: Columns, values: dict[str, pa.Array], fields: tuple[str, ...], root: Path
) -> list[Path]:
    table = pa.table({column_name(f): values[f] for f in fields})
    written = []
    for start, a, b in _buckets(c.end, 3600):
        when = datetime.fromtimestamp(start, UTC)
        path = _s3_prefix(fl, when, root) / _name(fl, when, "log.parquet")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(a, b - a), path, compression="gzip")
        written.append(path)
    return written


def _cloudwatch(fl: sc.FlowLog, c: Columns, values: dict[str, pa.Array], root: Path) -> list[Path]:
    # The export prefixes each message with the event's ingestion timestamp (vectorised: the
    # medium and large scales write millions of these lines).
    ingested = pa.array(np.asarray(c.end, dtype=np.int64) + 300, pa.timestamp("s"))
    stamps = pc.strftime(ingested, format="%Y-%m-%dT%H:%M:%S.000Z")
    lines = pc.binary_join_element_wise(stamps, _lines(values), " ")
    written = []
    for eni in sorted(set(c.eni)):
        idx = pa.array(np.flatnonzero(c.eni == eni))
        body = "\n".join(lines.take(idx).to_pylist()) + "\n"
        path = (
            root
            / "cloudwatch-export"
            / "flowlogs-subnet-b"
            / "export-task-0001"
            / eni
            / "000000.gz"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(igzip.compress(body.encode(), 1, mtime=0))
        written.append(path)
    return written
