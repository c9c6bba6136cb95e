"""For CloudWatch.1-14: a metric filter with the control's pattern on the log group a
multi-Region trail feeds, an alarm on its metric, and an SNS topic with a subscriber. The
control's pattern is the CIS pack's filter that names the same control (`control:` in its
`filter.yaml`), the one `vigil logs install-pack cis` puts in place."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from vigil.content import content_root
from vigil.logs.pattern import parse
from vigil.model.severity import CheckStatus
from vigil.posture.checks import Result, trails_of, unavailable
from vigil.posture.snapshot import Snapshot


def patterns(control: str) -> tuple[str, ...]:
    """The filter patterns of the CIS pack's units for `control` (e.g. "CloudWatch.3")."""
    return _pack(content_root()).get(control, ())


@cache
def _pack(root: Path) -> dict[str, tuple[str, ...]]:
    from vigil.metrics.packs import load_pack

    out: dict[str, tuple[str, ...]] = {}
    for unit in load_pack("cis", root):
        out[unit.control] = (*out.get(unit.control, ()), unit.pattern)
    return out


def alarmed(snap: Snapshot, account: str, control: str, also: tuple[str, ...] = ()) -> list[Result]:
    """PASSED when a multi-Region trail's log group has a metric filter with the control's
    pattern (or one of `also`), an alarm on its metric and a subscribed topic on the alarm."""
    trails, missing = trails_of(snap, account)
    if missing:
        return [unavailable(account, "-", missing)]
    wanted = [parse(p) for p in (*patterns(control), *also)]
    candidates = [
        t for t in trails if t.get("IsMultiRegionTrail") and t.get("CloudWatchLogsLogGroupArn")
    ]
    if not candidates:
        return [
            Result(
                account,
                "-",
                account,
                CheckStatus.FAILED,
                "no multi-region trail delivers to CloudWatch Logs",
            )
        ]
    reasons = []
    for trail in candidates:
        arn = str(trail["CloudWatchLogsLogGroupArn"])
        group = arn.split(":log-group:", 1)[-1].removesuffix(":*")
        owner = arn.split(":")[4] if arn.count(":") >= 5 else account  # the group's account
        region = str(trail.get("HomeRegion") or trail["_region"])
        filters = snap.get(owner, region, "logs describe-metric-filters")
        alarms = snap.get(owner, region, "cloudwatch describe-alarms")
        subs = snap.get(owner, region, "sns list-subscriptions")
        if filters is None or alarms is None or subs is None:
            return [
                unavailable(
                    account,
                    region,
                    "logs describe-metric-filters, cloudwatch describe-alarms, "
                    "sns list-subscriptions",
                )
            ]
        for f in filters.get("metricFilters", []):
            if f.get("logGroupName") != group or not _same_pattern(
                f.get("filterPattern", ""), wanted
            ):
                continue
            for tr in f.get("metricTransformations", []):
                for alarm in alarms.get("MetricAlarms", []):
                    if (alarm.get("MetricName"), alarm.get("Namespace")) != (
                        tr.get("metricName"),
                        tr.get("metricNamespace"),
                    ):
                        continue
                    topics = [a for a in alarm.get("AlarmActions", []) if ":sns:" in a]
                    subscribed = [
                        s
                        for s in subs.get("Subscriptions", [])
                        if s.get("TopicArn") in topics
                        and s.get("SubscriptionArn", "").startswith("arn:")
                    ]
                    if subscribed:
                        return [
                            Result(
                                account,
                                region,
                                group,
                                CheckStatus.PASSED,
                                f"filter {f['filterName']} → alarm {alarm['AlarmName']} → "
                                f"{subscribed[0]['TopicArn']}",
                            )
                        ]
                    reasons.append(f"alarm {alarm['AlarmName']} has no subscribed SNS topic")
            reasons.append(f"filter {f['filterName']} has no alarm with a subscribed topic")
        reasons.append(f"no metric filter with the control's pattern on {group}")
    return [
        Result(
            account,
            "-",
            account,
            CheckStatus.FAILED,
            reasons[0] if reasons else "not configured",
        )
    ]


def _same_pattern(text: str, wanted: list[Any]) -> bool:
    try:
        return parse(text) in wanted
    except Exception:
        return False
