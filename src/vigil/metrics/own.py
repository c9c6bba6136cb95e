"""Vigil's own metrics, in the `Vigil` namespace: what it ingested, what it found (and, with
the event bus, what it delivered), so alarms can watch Vigil itself."""

from __future__ import annotations

from collections import Counter
from typing import Final

from vigil.config import Settings
from vigil.metrics.store import Datum, Metric, MetricError, MetricStore

NAMESPACE: Final = "Vigil"


def publish(
    settings: Settings, data: list[tuple[str, float, dict[str, str], str]], now: int
) -> None:
    """(name, value, dimensions, unit) points at `now`. Never fails the job that reports."""
    points = [
        Datum(Metric(NAMESPACE, name, tuple(sorted(dims.items()))), now, value=value, unit=unit)
        for name, value, dims, unit in data
    ]
    if not points:
        return
    try:
        with MetricStore(settings) as store:
            store.put(points, now=now)
    except MetricError:
        pass  # a metric that cannot be stored must not fail an ingest or a detection run


def ingested(settings: Settings, records: dict[str, int], rejected: int, now: int) -> None:
    data = [
        ("RecordsIngested", float(n), {"Table": table}, "Count") for table, n in records.items()
    ]
    data.append(("RecordsRejected", float(rejected), {}, "Count"))
    publish(settings, data, now)


def findings(settings: Settings, severities: list[str], now: int) -> None:
    counts = Counter(severities)
    data = [("ActiveFindings", float(counts.get(label, 0)), {"Severity": label}, "Count")
            for label in ("Low", "Medium", "High", "Critical")]  # fmt: skip
    publish(settings, data, now)
