"""Alarm evaluation as CloudWatch does it: M out of N datapoints, TreatMissingData, and the
premature-alarm rule (spec §4.4). Pure functions; `alarms` feeds them the datapoints.

`decide` takes the evaluation range oldest first: one entry per period, True (breaching), False
(not breaching) or None (missing). The range is N + 2 periods long, as in AWS's examples.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Literal

State = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
Decision = Literal["OK", "ALARM", "INSUFFICIENT_DATA", "KEEP"]
TREATMENTS: Final = ("missing", "ignore", "breaching", "notBreaching")
COMPARISONS: Final[dict[str, tuple[str, Callable[[float, float], bool]]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
    "GreaterThanThreshold": ("greater than", operator.gt),
    "LessThanThreshold": ("less than", operator.lt),
    "LessThanOrEqualToThreshold": ("less than or equal to", operator.le),
}
# anomaly alarms: the value against the band (lower, upper) of ThresholdMetricId
BAND_COMPARISONS: Final[dict[str, tuple[str, Callable[[float, float, float], bool]]]] = {
    "LessThanLowerOrGreaterThanUpperThreshold": (
        "less than the lower thresholds or greater than the upper thresholds",
        lambda v, lo, hi: v < lo or v > hi),
    "LessThanLowerThreshold": ("less than the lower thresholds", lambda v, lo, hi: v < lo),
    "GreaterThanUpperThreshold": ("greater than the upper thresholds", lambda v, lo, hi: v > hi),
}  # fmt: skip
EXTRA_RANGE: Final = 2  # evaluation range R = N + 2


def breaches(comparison: str, value: float, threshold: float) -> bool:
    return COMPARISONS[comparison][1](value, threshold)


def decide(points: list[bool | None], n: int, m: int, treat_missing: str) -> Decision:
    """The state the range calls for; KEEP means the state does not change."""
    ages = {len(points) - i: p for i, p in enumerate(points)}  # age 1 = the most recent slot
    real = [(age, p) for age, p in sorted(ages.items()) if p is not None]
    if len(real) >= n:
        recent = real[:n]
        return "ALARM" if sum(1 for _, p in recent if p) >= m else "OK"
    if not real:
        return {"missing": "INSUFFICIENT_DATA", "ignore": "KEEP", "breaching": "ALARM",
                "notBreaching": "OK"}[treat_missing]  # type: ignore[return-value]  # fmt: skip
    k = n - len(real)
    breaching = sum(1 for _, p in real if p)
    if treat_missing == "breaching":
        return "ALARM" if breaching + k >= m else "OK"
    if treat_missing == "notBreaching":
        return "ALARM" if breaching >= m else "OK"
    if breaching >= m:
        return "ALARM"
    all_breaching = all(p for _, p in real)
    if treat_missing == "ignore":
        return "KEEP" if all_breaching else "OK"
    if not all_breaching:
        return "OK"
    # missing: the premature-alarm rule, over the real points and the k most recent gaps
    gaps = [age for age, p in sorted(ages.items()) if p is None][:k]
    window = sorted([age for age, _ in real] + gaps)
    oldest = max(age for age, p in real if p)
    return "ALARM" if window.index(oldest) + 1 >= m else "OK"


def stamp(ms: int) -> str:
    """AWS's datapoint stamp in reasons: 02/10/19 16:59:00 (dd/mm/yy)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d/%m/%y %H:%M:%S")


def number(value: float) -> str:
    return repr(float(value))


def reason(
    state: State,
    previous: State,
    evaluated: list[tuple[int, float]],  # (period start ms, value), most recent first
    n: int,
    m: int,
    comparison: str,
    threshold: float,
    missing: int,
) -> str:
    if state == "INSUFFICIENT_DATA":
        were = "datapoint was" if missing == 1 else "datapoints were"
        return f"Insufficient Data: {missing} {were} unknown."
    if not evaluated and missing:
        kind = "Breaching" if state == "ALARM" else "NonBreaching"
        periods = "period" if missing == 1 else "periods"
        treated = "datapoint was" if missing == 1 else "datapoints were"
        return (
            f"Threshold Crossed: no datapoints were received for {missing} {periods} and "
            f"{missing} missing {treated} treated as [{kind}]."
        )
    words = COMPARISONS[comparison][0]
    crossing = [(t, v) for t, v in evaluated if breaches(comparison, v, threshold)]
    shown = crossing if state == "ALARM" else [p for p in evaluated if p not in crossing]
    listed = ", ".join(f"{number(v)} ({stamp(t)})" for t, v in shown)
    were = "was" if len(shown) == 1 else "were"
    verb = words if state == "ALARM" else f"not {words}"
    needed = m if state == "ALARM" else 1
    points = "datapoint" if needed == 1 else "datapoints"
    return (
        f"Threshold Crossed: {len(shown)} out of the last {n} datapoints [{listed}] {were} "
        f"{verb} the threshold ({number(threshold)}) (minimum {needed} {points} for "
        f"{previous} -> {state} transition)."
    )


def band_reason(
    state: State,
    previous: State,
    evaluated: list[tuple[int, float]],  # (period start ms, value), most recent first
    bands: list[tuple[float, float]],  # (lower, upper) beside each
    n: int,
    m: int,
    comparison: str,
) -> str:
    """An anomaly alarm's reason: the values and the band they were held to."""
    words, test = BAND_COMPARISONS[comparison]
    pairs = list(zip(evaluated, bands, strict=False))
    crossing = [(p, b) for p, b in pairs if test(p[1], *b)]
    shown = crossing if state == "ALARM" else [x for x in pairs if x not in crossing]
    listed = ", ".join(f"{number(v)} ({stamp(t)})" for (t, v), _ in shown)
    lower = ", ".join(number(lo) for _, (lo, _hi) in shown)
    upper = ", ".join(number(hi) for _, (_lo, hi) in shown)
    were = "was" if len(shown) == 1 else "were"
    verb = words if state == "ALARM" else f"not {words}"
    needed = m if state == "ALARM" else 1
    points = "datapoint" if needed == 1 else "datapoints"
    return (
        f"Thresholds Crossed: {len(shown)} out of the last {n} datapoints [{listed}] {were} "
        f"{verb} [lower: {lower}; upper: {upper}] (minimum {needed} {points} for "
        f"{previous} -> {state} transition)."
    )
