"""Buses, archives and replays in EventBridge's shapes (DescribeEventBus, DescribeArchive,
DescribeReplay, their listings and the answers to create, update, start and cancel), as the
AWS-compatible endpoints answer and the CLI's `--json` prints them."""

from __future__ import annotations

from typing import Any

from vigil.api.buses import Archive, Bus, Replay


def bus_doc(bus: Bus, account: str, region: str) -> dict[str, Any]:
    """DescribeEventBus's and ListEventBuses' shape."""
    out: dict[str, Any] = {"Name": bus.name, "Arn": bus.arn(account, region)}
    if bus.description:
        out["Description"] = bus.description
    if bus.policy:
        out["Policy"] = bus.policy
    if bus.created_ms:
        out["CreationTime"] = bus.created_ms / 1000
        out["LastModifiedTime"] = bus.modified_ms / 1000
    return out


def archive_doc(archive: Archive, account: str, region: str, *, full: bool) -> dict[str, Any]:
    """DescribeArchive's shape (`full`) or ListArchives' entries."""
    out: dict[str, Any] = {
        "ArchiveName": archive.name,
        "EventSourceArn": archive.source_arn(account, region),
        "State": archive.state,
        "RetentionDays": archive.retention_days,
        "SizeBytes": archive.size_bytes,
        "EventCount": archive.event_count,
        "CreationTime": archive.created_ms / 1000,
    }
    if full:
        out["ArchiveArn"] = archive.arn(account, region)
        if archive.description:
            out["Description"] = archive.description
        if archive.pattern:
            out["EventPattern"] = archive.pattern
    return out


def archive_state(archive: Archive, account: str, region: str) -> dict[str, Any]:
    """CreateArchive's and UpdateArchive's answer."""
    return {"ArchiveArn": archive.arn(account, region), "State": archive.state,
            "CreationTime": archive.created_ms / 1000}  # fmt: skip


def replay_doc(replay: Replay, *, full: bool) -> dict[str, Any]:
    """DescribeReplay's shape (`full`), or ListReplays' entries."""
    out: dict[str, Any] = {
        "ReplayName": replay.name, "EventSourceArn": replay.archive_arn, "State": replay.state,
        "EventStartTime": replay.start_ms / 1000, "EventEndTime": replay.end_ms / 1000,
        "ReplayStartTime": replay.started_ms / 1000,
    }  # fmt: skip
    if replay.reason:
        out["StateReason"] = replay.reason
    if replay.last_replayed_ms is not None:
        out["EventLastReplayedTime"] = replay.last_replayed_ms / 1000
    if replay.ended_ms is not None:
        out["ReplayEndTime"] = replay.ended_ms / 1000
    if full:
        out["ReplayArn"] = replay.arn
        out["Destination"] = replay.destination
        if replay.description:
            out["Description"] = replay.description
    return out


def replay_started(replay: Replay) -> dict[str, Any]:
    """StartReplay's answer."""
    return {"ReplayArn": replay.arn, "State": replay.state,
            "ReplayStartTime": replay.started_ms / 1000}  # fmt: skip


def replay_state(replay: Replay) -> dict[str, Any]:
    """CancelReplay's answer."""
    return {"ReplayArn": replay.arn, "State": replay.state}
